// Page URLs, and where a sign-in may send the user back to: never another
// origin, another space, or a token page.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pageURL, parsePath, safeNext, sameOriginPath } from '../src/lib/paths.ts';

test('parsePath', () => {
  const cases = [
    { path: '/acme/', want: { space: 'acme', page: '' } },
    { path: '/acme/documents', want: { space: 'acme', page: 'documents' } },
    { path: '/globex-2/help', want: { space: 'globex-2', page: 'help' } },
    { path: '/acme', want: null },
    { path: '/', want: null },
    { path: '/Acme/', want: null },
    { path: '/acme/unknown', want: null },
    { path: '/acme/documents/x', want: null },
    { path: '/ab/', want: null },
  ];
  for (const c of cases) assert.deepEqual(parsePath(c.path), c.want, c.path);
});

test('pageURL', () => {
  assert.equal(pageURL('acme', ''), '/acme/');
  assert.equal(pageURL('acme', 'documents', { type: 'invoice', from: '' }), '/acme/documents?type=invoice');
  assert.equal(pageURL('acme', '', { reason: 'expired', next: '/acme/documents?type=invoice' }), '/acme/?reason=expired&next=%2Facme%2Fdocuments%3Ftype%3Dinvoice');
});

test('safeNext keeps only pages of the same space', () => {
  const cases = [
    { next: '/acme/documents', want: '/acme/documents' },
    { next: '/acme/documents?type=invoice&from=2024-01-01', want: '/acme/documents?type=invoice&from=2024-01-01' },
    { next: '/acme/admin', want: '/acme/admin' },
    { next: '/globex/documents', want: null },
    { next: '//evil.example/acme/documents', want: null },
    { next: 'https://evil.example/', want: null },
    { next: '/\\evil.example', want: null },
    { next: '/acme/', want: null },
    { next: '/acme/password', want: null },
    { next: '/acme/forgot', want: null },
    { next: '/acme/link', want: null },
    { next: '', want: null },
    { next: null, want: null },
  ];
  for (const c of cases) assert.equal(safeNext(c.next, 'acme'), c.want, String(c.next));
});

test('sameOriginPath', () => {
  assert.equal(sameOriginPath('/brand/acme.svg'), '/brand/acme.svg');
  assert.equal(sameOriginPath('https://cdn.example/logo.png'), null);
  assert.equal(sameOriginPath('//cdn.example/logo.png'), null);
  assert.equal(sameOriginPath(''), null);
});

// The CloudFront viewer-request function of template.yaml maps the same
// page URLs onto the same files as the local runner and the pages' own
// router (src/lib/paths.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pages } from '../src/lib/paths.ts';
import { parseStaffPath } from '../src/staff/paths.ts';

// .build/test/ → the repository root.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Request {
  uri: string;
  querystring: Record<string, { value: string; multiValue?: { value: string }[] }>;
}
type Handler = (event: { request: Request }) => Request | { statusCode: number; headers: Record<string, { value: string }> };

function pagesFunction(): Handler {
  const template = readFileSync(join(root, 'template.yaml'), 'utf8');
  const m = /\n  PagesFunction:\n[\s\S]*?\n      FunctionCode: \|\n((?: {8}.*\n|\n)+)/.exec(template);
  assert.ok(m, 'PagesFunction with an inline FunctionCode not found in template.yaml');
  const code = m[1].split('\n').map((l) => l.slice(8)).join('\n');
  return new Function(`${code}\nreturn handler;`)() as Handler;
}

test('the CloudFront function maps the pages of PRODUCT.md §6', () => {
  const handler = pagesFunction();
  const cases = [
    { uri: '/', want: '/index.html' },
    { uri: '/acme/', want: '/index.html' },
    { uri: '/acme/forgot', want: '/forgot.html' },
    { uri: '/acme/password', want: '/password.html' },
    { uri: '/acme/documents', want: '/documents.html' },
    { uri: '/acme/profile', want: '/profile.html' },
    { uri: '/acme/admin', want: '/admin.html' },
    { uri: '/globex-2/help', want: '/help.html' },
    { uri: '/acme/link', want: '/link.html' },
    { uri: '/assets/index-abc.js', want: '/assets/index-abc.js' },
    { uri: '/acme/unknown', want: '/acme/unknown' },
    { uri: '/acme/documents/extra', want: '/acme/documents/extra' },
    { uri: '/Acme/documents', want: '/Acme/documents' },
  ];
  for (const c of cases) {
    const out = handler({ request: { uri: c.uri, querystring: {} } });
    assert.ok('uri' in out, `${c.uri}: got a response, want a request`);
    assert.equal(out.uri, c.want, c.uri);
  }
});

test('the CloudFront function serves staff.html for every console path, and the console reads them', () => {
  const handler = pagesFunction();
  for (const uri of ['/acme/staff/', '/acme/staff/password', '/acme/staff/customers', '/acme/staff/customer', '/acme/staff/rejections', '/acme/staff/audit']) {
    const out = handler({ request: { uri, querystring: {} } });
    assert.ok('uri' in out, uri);
    assert.equal(out.uri, '/staff.html', uri);
    assert.ok(parseStaffPath(uri), `${uri}: the console has no view for it`);
  }
  assert.equal((handler({ request: { uri: '/Acme/staff/', querystring: {} } }) as Request).uri, '/Acme/staff/');
});

test('the CloudFront function adds the slash to /{space}, keeping the query', () => {
  const handler = pagesFunction();
  const out = handler({ request: { uri: '/acme', querystring: { reason: { value: 'expired' }, a: { value: '1', multiValue: [{ value: '1' }, { value: '2' }] } } } });
  assert.ok('statusCode' in out);
  assert.equal(out.statusCode, 301);
  assert.equal(out.headers.location.value, '/acme/?reason=expired&a=1&a=2');
});

test('CloudFront, the local runner and the pages agree on the page list', () => {
  const handler = pagesFunction();
  const mapped = pages.map((p) => (handler({ request: { uri: `/acme/${p}`, querystring: {} } }) as Request).uri);
  assert.deepEqual(mapped, ['/index.html', '/forgot.html', '/password.html', '/documents.html', '/profile.html', '/admin.html', '/help.html', '/link.html']);
  const runner = readFileSync(join(root, 'infra', 'local', 'runner', 'web.go'), 'utf8');
  const block = /var Pages = map\[string\]string\{([\s\S]*?)\n\}/.exec(runner);
  assert.ok(block, 'Pages not found in infra/local/runner/web.go');
  const runnerPages = [...block[1].matchAll(/"(\w*)":\s*"(\w+)"/g)].map((m) => [m[1], m[2]]);
  assert.deepEqual(runnerPages.map(([seg]) => seg).sort(), [...pages].sort());
  for (const [seg, file] of runnerPages) assert.equal((handler({ request: { uri: `/acme/${seg}`, querystring: {} } }) as Request).uri, `/${file}.html`);
});

test('CloudFront and the local runner send the same strict CSP', () => {
  const template = readFileSync(join(root, 'template.yaml'), 'utf8');
  const cf = /ContentSecurityPolicy: "([^"]+)"/.exec(template)?.[1];
  const runner = readFileSync(join(root, 'infra', 'local', 'runner', 'web.go'), 'utf8');
  const local = /contentSecurityPolicy = ((?:"[^"]*"\s*\+?\s*)+)/.exec(runner)?.[1].match(/"([^"]*)"/g)?.map((s) => s.slice(1, -1)).join('');
  assert.ok(cf && local, 'CSP not found in template.yaml or web.go');
  assert.equal(cf, local);
  for (const directive of ["script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) assert.ok(cf.includes(directive), directive);
  assert.doesNotMatch(cf, /unsafe-inline|unsafe-eval|https?:/);
});

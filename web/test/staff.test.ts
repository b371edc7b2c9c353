// The supplier console's pure parts: its URLs and where a sign-in may send
// staff back to, the token of a set-password link, mail status badges,
// account activation states, the typed TOTP code, and its texts in both
// languages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actorText } from '../src/lib/audit.ts';
import { fr } from '../src/staff/strings.ts';
import { en } from '../src/staff/strings-en.ts';
import { loadStaffLang, stIn } from '../src/staff/i18n.ts';
import { accountState, mailBadge, totpCode } from '../src/staff/model.ts';
import { parseStaffPath, safeStaffNext, staffURL, tokenFromHash } from '../src/staff/paths.ts';

test('parseStaffPath reads the space and the view', () => {
  const cases = [
    { path: '/acme/staff/', want: { space: 'acme', view: '' } },
    { path: '/acme/staff', want: { space: 'acme', view: '' } },
    { path: '/acme/staff/password', want: { space: 'acme', view: 'password' } },
    { path: '/acme/staff/customers', want: { space: 'acme', view: 'customers' } },
    { path: '/globex-2/staff/customer', want: { space: 'globex-2', view: 'customer' } },
    { path: '/acme/staff/rejections', want: { space: 'acme', view: 'rejections' } },
    { path: '/acme/staff/audit', want: { space: 'acme', view: 'audit' } },
    { path: '/acme/staff/unknown', want: null },
    { path: '/acme/staff/customers/C1', want: null },
    { path: '/acme/documents', want: null },
    { path: '/Acme/staff/', want: null },
    { path: '/ab/staff/', want: null },
    { path: '/staff/', want: null },
  ];
  for (const c of cases) assert.deepEqual(parseStaffPath(c.path), c.want, c.path);
});

test('staffURL encodes the query and leaves empty values out', () => {
  assert.equal(staffURL('acme', ''), '/acme/staff/');
  assert.equal(staffURL('acme', 'customers', { q: 'Dupré & fils' }), '/acme/staff/customers?q=Dupr%C3%A9+%26+fils');
  assert.equal(staffURL('acme', 'customer', { number: 'C/10 01' }), '/acme/staff/customer?number=C%2F10+01');
  assert.equal(staffURL('acme', '', { reason: 'expired', next: '' }), '/acme/staff/?reason=expired');
  const round = new URL(staffURL('acme', 'customer', { number: 'A+B?#1' }), 'https://x.example');
  assert.equal(round.searchParams.get('number'), 'A+B?#1');
});

test('safeStaffNext keeps only signed-in views of the same space', () => {
  const cases = [
    { next: '/acme/staff/customers?q=C10', want: '/acme/staff/customers?q=C10' },
    { next: '/acme/staff/customer?number=C1001', want: '/acme/staff/customer?number=C1001' },
    { next: '/acme/staff/audit', want: '/acme/staff/audit' },
    { next: '/acme/staff/', want: null },
    { next: '/acme/staff/password', want: null },
    { next: '/other/staff/customers', want: null },
    { next: '/acme/documents', want: null },
    { next: '//evil.example/acme/staff/customers', want: null },
    { next: 'https://evil.example/acme/staff/customers', want: null },
    { next: '/acme/staff/customers\\..', want: null },
    { next: '/acme/staff/customers#token=x', want: null },
    { next: '', want: null },
    { next: null, want: null },
  ];
  for (const c of cases) assert.equal(safeStaffNext(c.next, 'acme'), c.want, String(c.next));
});

test('tokenFromHash reads the token of a set-password link', () => {
  assert.equal(tokenFromHash('#token=abc_DEF-123'), 'abc_DEF-123');
  assert.equal(tokenFromHash('#x=1&token=abc'), 'abc');
  assert.equal(tokenFromHash('#token=abc&x=1'), 'abc');
  assert.equal(tokenFromHash('#token='), null);
  assert.equal(tokenFromHash('#token=a b'), null);
  assert.equal(tokenFromHash('#mytoken=abc'), null);
  assert.equal(tokenFromHash(''), null);
});

test('mailBadge tells bounces and complaints from normal delivery', () => {
  const cases = [
    { status: '', want: { kind: 'ok', reason: null } },
    { status: null, want: { kind: 'ok', reason: null } },
    { status: undefined, want: { kind: 'ok', reason: null } },
    { status: 'bounced: mailbox full', want: { kind: 'bounced', reason: 'mailbox_full' } },
    { status: 'bounced: address unknown', want: { kind: 'bounced', reason: 'address_unknown' } },
    { status: 'bounced', want: { kind: 'bounced', reason: null } },
    { status: 'complaint', want: { kind: 'complaint', reason: null } },
    { status: 'Bounced: Mailbox Full', want: { kind: 'bounced', reason: 'mailbox_full' } },
    // Any status stops notification mail: an unknown one must not read as normal.
    { status: 'suppressed', want: { kind: 'bounced', reason: null } },
  ];
  for (const c of cases) assert.deepEqual(mailBadge(c.status), c.want, String(c.status));
});

test('accountState follows an account through its activation', () => {
  const now = new Date('2026-03-10T12:00:00Z');
  const cases = [
    { a: { active: true, passwordSet: true, activationExpiresAt: null }, want: { state: 'active' } },
    { a: { active: true, passwordSet: true, activationExpiresAt: '2026-03-01T00:00:00Z' }, want: { state: 'active' } },
    { a: { active: false, passwordSet: true, activationExpiresAt: null }, want: { state: 'inactive' } },
    { a: { active: false, passwordSet: false, activationExpiresAt: '2026-03-12T00:00:00Z' }, want: { state: 'inactive' } },
    { a: { active: true, passwordSet: false, activationExpiresAt: '2026-03-12T00:00:00Z' }, want: { state: 'pending', until: '2026-03-12T00:00:00Z' } },
    { a: { active: true, passwordSet: false, activationExpiresAt: '2026-03-10T12:00:00Z' }, want: { state: 'expired', at: '2026-03-10T12:00:00Z' } },
    { a: { active: true, passwordSet: false, activationExpiresAt: '2026-02-01T00:00:00Z' }, want: { state: 'expired', at: '2026-02-01T00:00:00Z' } },
    { a: { active: true, passwordSet: false, activationExpiresAt: null }, want: { state: 'noPassword' } },
    { a: { active: true, passwordSet: false, activationExpiresAt: 'garbage' }, want: { state: 'noPassword' } },
  ];
  for (const c of cases) assert.deepEqual(accountState(c.a, now), c.want, JSON.stringify(c.a));
});

test('totpCode accepts 6 digits, with the groups apps show', () => {
  const cases: [string, string | null][] = [
    ['123456', '123456'], [' 123 456 ', '123456'], ['123-456', '123456'], ['123\u00a0456', '123456'],
    ['12345', null], ['1234567', null], ['12345a', null], ['１２３４５６', null], ['', null],
  ];
  for (const [typed, want] of cases) assert.equal(totpCode(typed), want, typed);
});

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('the console speaks both languages, with the same placeholders and plural pairs', async () => {
  assert.deepEqual(Object.keys(en).sort(), Object.keys(fr).sort());
  for (const [key, text] of Object.entries(fr)) {
    const other = en[key as keyof typeof en];
    assert.ok(text.trim() && other.trim(), `${key} is empty in a language`);
    assert.deepEqual(placeholders(other), placeholders(text), `${key}: placeholders differ`);
    assert.ok(key.startsWith('staff.'), `${key}: console keys start with staff.`);
  }
  const keys = Object.keys(fr);
  for (const k of keys.filter((k) => k.endsWith('.one'))) assert.ok(keys.includes(k.replace(/\.one$/, '.other')), k);
  const french = /\b(le|la|les|des|votre|vos|une|est|sont|pour|avec|mot de passe)\b/i;
  for (const [key, text] of Object.entries(en)) {
    assert.doesNotMatch(text, french, `${key} looks French: ${text}`);
  }
  // Each language loads on demand; before that, the key stands in.
  assert.equal(stIn('fr', 'staff.customer.heading', { company: 'Dupré', number: 'C1' }), 'staff.customer.heading');
  await loadStaffLang('fr');
  assert.equal(stIn('fr', 'staff.customer.heading', { company: 'Dupré', number: 'C1' }), 'Dupré — client n° C1');
  await loadStaffLang('en');
  assert.equal(stIn('en', 'staff.customer.heading', { company: 'Dupré', number: 'C1' }), 'Dupré — customer no. C1');
});

test('the customer\'s audit log names staff actions as the supplier\'s customer service', () => {
  assert.equal(actorText('customer-service', 'Acme Finance', 'fr'), 'Service client Acme Finance');
  assert.equal(actorText('customer-service', 'Acme Finance', 'en'), 'Acme Finance customer service');
  assert.equal(actorText('claire@example.com', 'Acme Finance', 'fr'), 'claire@example.com');
  assert.equal(actorText('', 'Acme Finance', 'en'), '');
});

// Every string exists in both languages with the same placeholders, plural
// forms come in pairs, and filling and plural choice follow each language.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fill, pluralIn, translate } from '../src/lib/i18n.ts';
import { en, fr } from '../src/lib/strings.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('both languages have the same keys, none empty, with the same placeholders', () => {
  assert.deepEqual(Object.keys(en).sort(), Object.keys(fr).sort());
  for (const [key, text] of Object.entries(fr)) {
    const other = en[key as keyof typeof en];
    assert.ok(text.trim() && other.trim(), `${key} is empty in a language`);
    assert.deepEqual(placeholders(other), placeholders(text), `${key}: placeholders differ between fr and en`);
  }
});

test('plural keys come in one/other pairs', () => {
  const keys = Object.keys(fr);
  for (const k of keys.filter((k) => k.endsWith('.one'))) {
    assert.ok(keys.includes(k.replace(/\.one$/, '.other')), `${k} has no .other`);
  }
  for (const k of keys.filter((k) => k.endsWith('.other'))) {
    assert.ok(keys.includes(k.replace(/\.other$/, '.one')), `${k} has no .one`);
  }
});

test('English texts are not left in French', () => {
  // Words that only a French text would hold; proper nouns such as E-Facture are fine.
  const french = /\b(le|la|les|des|votre|vos|une|est|sont|pour|avec|mot de passe)\b/i;
  const allowed = new Set(['lang.fr', 'lang.switchTo', 'app.name', 'app.title', 'signedInAs', 'admin.title', 'docs.type', 'col.type', 'audit.col.action', 'audit.action.export', 'profile.mobile', 'admin.col.mobile', 'admin.field.mobile', 'setpw.confirmation', 'admin.col.actions']);
  for (const [key, text] of Object.entries(en)) {
    if (allowed.has(key)) continue;
    assert.doesNotMatch(text, french, `${key} looks French: ${text}`);
  }
});

test('fill replaces known names and keeps unknown ones', () => {
  const cases: { template: string; vars?: Record<string, string | number>; want: string }[] = [
    { template: 'Bonjour {name}', vars: { name: 'Claire' }, want: 'Bonjour Claire' },
    { template: '{a} et {a}', vars: { a: 1 }, want: '1 et 1' },
    { template: 'reste {inconnu}', vars: { name: 'x' }, want: 'reste {inconnu}' },
    { template: 'sans variables', vars: undefined, want: 'sans variables' },
  ];
  for (const c of cases) assert.equal(fill(c.template, c.vars), c.want);
});

test('translate picks the language', () => {
  assert.equal(translate('fr', 'login.title'), 'Connexion');
  assert.equal(translate('en', 'login.title'), 'Sign in');
  assert.equal(translate('fr', 'lastLogin', { date: '08/12/2022 15:14' }), 'Votre dernière connexion : 08/12/2022 15:14');
});

test('plural forms follow each language', () => {
  const cases = [
    { lang: 'fr', n: 0, want: '0 document sélectionné' },
    { lang: 'fr', n: 1, want: '1 document sélectionné' },
    { lang: 'fr', n: 2, want: '2 documents sélectionnés' },
    { lang: 'en', n: 0, want: '0 documents selected' },
    { lang: 'en', n: 1, want: '1 document selected' },
    { lang: 'en', n: 1500, want: '1,500 documents selected' },
  ] as const;
  for (const c of cases) assert.equal(pluralIn(c.lang, 'docs.selected', c.n), c.want, `${c.lang} ${c.n}`);
  assert.equal(pluralIn('fr', 'docs.selected', 1500).replace(/\s/g, ' '), '1 500 documents sélectionnés');
});

// Dates and amounts in each language, calendar dates never moved by a zone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { daysUntil, formatAmount, formatDate, formatDateTime, formatInstantDate, isDate } from '../src/lib/format.ts';

const nbsp = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

test('formatDate', () => {
  const cases = [
    { date: '2022-12-08', lang: 'fr', want: '08/12/2022' },
    { date: '2022-12-08', lang: 'en', want: '08/12/2022' },
    { date: '2024-01-01', lang: 'fr', want: '01/01/2024' },
    { date: '', lang: 'fr', want: '' },
    { date: 'hier', lang: 'fr', want: 'hier' },
  ] as const;
  for (const c of cases) assert.equal(formatDate(c.date, c.lang), c.want, `${c.date} in ${c.lang}`);
});

test('formatDateTime shows the instant in the given zone', () => {
  assert.equal(formatDateTime('2022-12-08T14:14:00Z', 'fr', 'Europe/Paris'), '08/12/2022 15:14');
  assert.equal(formatDateTime('2022-12-08T14:14:00Z', 'en', 'Europe/London'), '08/12/2022, 14:14');
  assert.equal(formatInstantDate('2028-11-23T22:59:59Z', 'fr', 'Europe/Paris'), '23/11/2028');
  assert.equal(formatDateTime(null, 'fr'), '');
});

test('formatAmount', () => {
  const cases = [
    { amount: '1234.5', currency: 'EUR', lang: 'fr', want: '1 234,50 €' },
    { amount: '1234.5', currency: 'EUR', lang: 'en', want: '€1,234.50' },
    { amount: '-150.00', currency: 'EUR', lang: 'fr', want: '-150,00 €' },
    { amount: '99.9', currency: 'USD', lang: 'en', want: 'US$99.90' },
    { amount: '10', currency: null, lang: 'fr', want: '10,00' },
    { amount: null, currency: 'EUR', lang: 'fr', want: '' },
    { amount: 'abc', currency: 'EUR', lang: 'fr', want: 'abc' },
  ] as const;
  for (const c of cases) assert.equal(nbsp(formatAmount(c.amount, c.currency, c.lang)), c.want, `${c.amount} ${c.currency} in ${c.lang}`);
});

test('daysUntil and isDate', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  assert.equal(daysUntil('2026-01-31T12:00:00Z', now), 30);
  assert.equal(daysUntil('2026-01-01T11:00:00Z', now), -1);
  assert.equal(isDate('2024-02-29'), true);
  assert.equal(isDate('2023-02-29'), false);
  assert.equal(isDate('2023-2-1'), false);
});

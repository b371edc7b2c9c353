// The documents page's filters as URLs, API queries and export requests, and
// the cursor pager.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiQuery, defaultFilters, filtersFromQuery, filtersToQuery, Pager, periodExport, rangeError } from '../src/lib/documents-query.ts';

test('filters from the page URL ignore what is malformed', () => {
  const cases = [
    { q: '', want: defaultFilters },
    { q: 'from=2024-01-01&to=2024-03-31&type=invoice', want: { ...defaultFilters, from: '2024-01-01', to: '2024-03-31', type: 'invoice' } },
    { q: 'from=01/01/2024&type=bill&limit=1000', want: defaultFilters },
    { q: 'number=%20FA-12%20&match=exact&limit=2', want: { ...defaultFilters, number: 'FA-12', match: 'exact', limit: 2 } },
    { q: 'match=other', want: defaultFilters },
  ];
  for (const c of cases) assert.deepEqual(filtersFromQuery(new URLSearchParams(c.q)), c.want, c.q);
});

test('filters round-trip through the page URL, defaults left out', () => {
  const f = { ...defaultFilters, from: '2024-01-01', type: 'credit_note' as const, number: 'AV', limit: 25 };
  assert.equal(filtersToQuery(f).toString(), 'from=2024-01-01&type=credit_note&number=AV&limit=25');
  assert.deepEqual(filtersFromQuery(filtersToQuery(f)), f);
  assert.equal(filtersToQuery(defaultFilters).toString(), '');
});

test('the API query names PRODUCT.md §7 parameters', () => {
  assert.equal(apiQuery(defaultFilters).toString(), 'limit=50');
  assert.equal(apiQuery({ ...defaultFilters, number: 'FA', match: 'exact' }, 'abc').toString(), 'number=FA&numberMatch=exact&limit=50&cursor=abc');
  assert.equal(apiQuery({ ...defaultFilters, from: '2024-01-01', to: '2024-02-01', type: 'invoice' }).toString(), 'from=2024-01-01&to=2024-02-01&type=invoice&limit=50');
});

test('a period export carries the period and type only', () => {
  assert.deepEqual(periodExport(defaultFilters, 'csv'), { format: 'csv' });
  assert.deepEqual(periodExport({ ...defaultFilters, from: '2024-01-01', type: 'invoice', number: 'FA' }, 'zip'), { format: 'zip', from: '2024-01-01', type: 'invoice' });
});

test('rangeError', () => {
  assert.equal(rangeError({ ...defaultFilters, from: '2024-02-01', to: '2024-01-01' }), true);
  assert.equal(rangeError({ ...defaultFilters, from: '2024-01-01', to: '2024-01-01' }), false);
  assert.equal(rangeError({ ...defaultFilters, from: '2024-01-01' }), false);
});

test('the pager goes forward on next cursors and back to earlier ones', () => {
  const p = new Pager();
  assert.equal(p.cursor, null);
  assert.equal(p.hasPrevious, false);
  p.loaded('c2');
  assert.equal(p.hasNext, true);
  p.forward();
  assert.equal(p.cursor, 'c2');
  assert.equal(p.page, 2);
  p.loaded('c3');
  p.forward();
  p.loaded(null);
  assert.equal(p.page, 3);
  assert.equal(p.hasNext, false);
  p.forward();
  assert.equal(p.page, 3, 'forward without a next cursor stays');
  p.back();
  assert.equal(p.cursor, 'c2');
  p.loaded('c3b');
  p.forward();
  assert.equal(p.cursor, 'c3b', 'a new next cursor replaces the pages after this one');
  p.reset();
  assert.equal(p.cursor, null);
  assert.equal(p.page, 1);
});

// The documents page's filters (PRODUCT.md §6.4, §7): as the page's own URL keeps
// them, as GET /api/documents takes them, and as POST /api/exports takes a
// period. Pure functions, tested without a browser.

export type DocType = '' | 'invoice' | 'credit_note';
export type Match = 'prefix' | 'exact';

export interface Filters {
  from: string;
  to: string;
  type: DocType;
  number: string;
  match: Match;
  limit: number;
}

export const pageSizes = [25, 50, 100] as const;

export const defaultFilters: Filters = { from: '', to: '', type: '', number: '', match: 'prefix', limit: 50 };

const dateRe = /^\d{4}-\d{2}-\d{2}$/;

/** filtersFromQuery reads the filters of the page's URL, ignoring anything malformed. */
export function filtersFromQuery(q: URLSearchParams): Filters {
  const f: Filters = { ...defaultFilters };
  const from = q.get('from') ?? '';
  const to = q.get('to') ?? '';
  if (dateRe.test(from)) f.from = from;
  if (dateRe.test(to)) f.to = to;
  const type = q.get('type');
  if (type === 'invoice' || type === 'credit_note') f.type = type;
  f.number = (q.get('number') ?? '').trim().slice(0, 100);
  if (q.get('match') === 'exact') f.match = 'exact';
  // The page offers a few sizes; a link may ask for any size the API takes (1 to 200).
  const limit = Number(q.get('limit'));
  if (Number.isInteger(limit) && limit >= 1 && limit <= 200) f.limit = limit;
  return f;
}

/** filtersToQuery writes the filters for the page's URL, leaving defaults out. */
export function filtersToQuery(f: Filters): URLSearchParams {
  const q = new URLSearchParams();
  if (f.from) q.set('from', f.from);
  if (f.to) q.set('to', f.to);
  if (f.type) q.set('type', f.type);
  if (f.number) {
    q.set('number', f.number);
    if (f.match !== 'prefix') q.set('match', f.match);
  }
  if (f.limit !== defaultFilters.limit) q.set('limit', String(f.limit));
  return q;
}

/** apiQuery is the query of GET /api/documents for the filters and a page's cursor. */
export function apiQuery(f: Filters, cursor?: string | null): URLSearchParams {
  const q = new URLSearchParams();
  if (f.from) q.set('from', f.from);
  if (f.to) q.set('to', f.to);
  if (f.type) q.set('type', f.type);
  if (f.number) {
    q.set('number', f.number);
    q.set('numberMatch', f.match);
  }
  q.set('limit', String(f.limit));
  if (cursor) q.set('cursor', cursor);
  return q;
}

/** periodExport is the body of POST /api/exports for the filters' period and type. */
export function periodExport(f: Filters, format: 'zip' | 'csv'): { from?: string; to?: string; type?: string; format: 'zip' | 'csv' } {
  const req: { from?: string; to?: string; type?: string; format: 'zip' | 'csv' } = { format };
  if (f.from) req.from = f.from;
  if (f.to) req.to = f.to;
  if (f.type) req.type = f.type;
  return req;
}

/** rangeError reports a period whose end comes before its start. */
export function rangeError(f: Filters): boolean {
  return !!(f.from && f.to && f.from > f.to);
}

/**
 * Pager keeps the cursors of the pages seen, so that "previous" goes back
 * without the API having to list backwards.
 */
export class Pager {
  private cursors: (string | null)[] = [null];
  private index = 0;
  private next: string | null = null;

  /** cursor is the current page's cursor (null for the first). */
  get cursor(): string | null {
    return this.cursors[this.index];
  }

  /** page is the current page's number, from 1. */
  get page(): number {
    return this.index + 1;
  }

  get hasPrevious(): boolean {
    return this.index > 0;
  }

  get hasNext(): boolean {
    return this.next !== null;
  }

  /** loaded records the next cursor the current page returned. */
  loaded(nextCursor: string | null | undefined): void {
    this.next = nextCursor || null;
  }

  forward(): void {
    if (this.next === null) return;
    this.cursors = this.cursors.slice(0, this.index + 1);
    this.cursors.push(this.next);
    this.index += 1;
    this.next = null;
  }

  back(): void {
    if (this.index > 0) this.index -= 1;
  }

  reset(): void {
    this.cursors = [null];
    this.index = 0;
    this.next = null;
  }
}

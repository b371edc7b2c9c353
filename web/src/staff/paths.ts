// The console's URLs (PRODUCT.md §11): /{space}/staff/{view}, all served by
// staff.html. Views take one path segment; what they show comes in the
// query (?q=, ?number=), so any customer number survives the trip.
import { isSpace } from '../lib/paths.ts';

export const staffViews = ['', 'password', 'customers', 'customer', 'rejections', 'audit'] as const;
export type StaffView = (typeof staffViews)[number];

/** supervisorViews are hidden from advisors (and refused by the API). */
export const supervisorViews: readonly StaffView[] = ['rejections', 'audit'];

/** parseStaffPath reads the space and view of a console path such as /acme/staff/customers. */
export function parseStaffPath(pathname: string): { space: string; view: StaffView } | null {
  const m = /^\/([^/]+)\/staff(?:\/([^/]*))?$/.exec(pathname);
  if (!m || !isSpace(m[1])) return null;
  const view = (m[2] ?? '') as StaffView;
  return (staffViews as readonly string[]).includes(view) ? { space: m[1], view } : null;
}

/** staffURL is the path of a console view, with an optional query (empty values left out). */
export function staffURL(space: string, view: StaffView, query?: Record<string, string | undefined>): string {
  let url = `/${space}/staff/${view}`;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, v);
    const s = q.toString();
    if (s) url += `?${s}`;
  }
  return url;
}

/**
 * safeStaffNext returns where a sign-in goes back to: a signed-in view of
 * the same space's console, with its query; anything else (another origin,
 * another space, the customer pages, the sign-in or token views) is null.
 */
export function safeStaffNext(next: string | null | undefined, space: string): string | null {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\') || next.includes('#')) return null;
  const [path, query = ''] = next.split('?', 2);
  const p = parseStaffPath(path);
  if (!p || p.space !== space || p.view === '' || p.view === 'password') return null;
  return query ? `${path}?${query}` : path;
}

/** tokenFromHash reads the one-time token of a set-password link (#token=…), or null. */
export function tokenFromHash(hash: string): string | null {
  const m = /(?:^#|&)token=([A-Za-z0-9_-]+)(?:&|$)/.exec(hash);
  return m ? m[1] : null;
}

// Page URLs of PRODUCT.md §6: the space is the first path segment, and each page
// of a space is one static file (the local runner and the CloudFront
// function map them the same way).

export const pages = ['', 'forgot', 'password', 'documents', 'profile', 'admin', 'help', 'link'] as const;
export type Page = (typeof pages)[number];

/** spaceRe matches a space id (docs/SPACES.md). */
const spaceRe = /^[a-z0-9-]{3,32}$/;

export function isSpace(s: string): boolean {
  return spaceRe.test(s);
}

/** parsePath reads the space and page of a portal path such as /acme/documents. */
export function parsePath(pathname: string): { space: string; page: Page } | null {
  const m = /^\/([^/]+)\/([^/]*)$/.exec(pathname);
  if (!m || !isSpace(m[1])) return null;
  const page = m[2] as Page;
  return (pages as readonly string[]).includes(page) ? { space: m[1], page } : null;
}

/** pageURL is the path of a space's page, with an optional query. */
export function pageURL(space: string, page: Page, query?: Record<string, string | undefined>): string {
  let url = `/${space}/${page}`;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, v);
    const s = q.toString();
    if (s) url += `?${s}`;
  }
  return url;
}

/**
 * safeNext returns where to go back to after signing in: a page of space
 * (not the sign-in or token pages), with its query, or null. Anything else,
 * such as another origin or another space, is refused.
 */
export function safeNext(next: string | null | undefined, space: string): string | null {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return null;
  const [path, query = ''] = next.split('?', 2);
  const p = parsePath(path);
  if (!p || p.space !== space || p.page === '' || p.page === 'password' || p.page === 'forgot' || p.page === 'link') return null;
  return query ? `${path}?${query}` : path;
}

/** sameOriginPath keeps a logo or link URL only when it stays on this origin (the CSP forbids others). */
export function sameOriginPath(url: string | null | undefined): string | null {
  if (!url || !url.startsWith('/') || url.startsWith('//') || url.includes('\\')) return null;
  return url;
}

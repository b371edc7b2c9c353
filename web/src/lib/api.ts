// The JSON API of PRODUCT.md §7, same origin. Requests carry the page's language
// so that error messages come back in it; a lost session goes through one
// handler that the signed-in pages set (back to sign-in, then back here).
import { lang, t } from './i18n.ts';

export interface SpaceInfo {
  id: string;
  name: string;
  since: string;
  brand: { color: string; logoUrl: string };
  profiles: string[];
  revealUnknownAccounts: boolean;
}

export interface User {
  identifier: string;
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  mobile: string;
  active: boolean;
  admin: boolean;
  registeredAdmin: boolean;
  profile: string;
  customerNumber: string;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface Me extends User {
  previousLoginAt: string | null;
  /** mailStatus and mailStatusAt come to admins only, while mail to the registered address is held. */
  company: { customerNumber: string; name: string; mailStatus?: string; mailStatusAt?: string };
  space: { id: string; name: string };
  preferences: { historyMonths: number; language: string };
}

export interface Doc {
  id: string;
  number: string;
  type: 'invoice' | 'credit_note';
  issueDate: string;
  amount: string | null;
  currency: string | null;
  duplicate: boolean;
  copy: boolean;
  profile: string | null;
  expiresAt: string;
  downloadedAt: string | null;
}

export interface List<T> {
  items: T[];
  nextCursor?: string | null;
}

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  target: string;
  detail: string;
}

export interface ExportState {
  id: string;
  status: 'pending' | 'ready' | 'failed';
  url?: string;
  expiresAt?: string;
}

export interface Recovery {
  email: string;
  accounts: { identifier: string; companyName: string }[];
}

/** ApiError is an API refusal: its message is already in the user's language. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly rules?: string[],
  ) {
    super(message);
  }
}

let unauthenticated: (() => void) | null = null;
let lastSuccess = 0;

/** onUnauthenticated sets what a 401 "unauthenticated" answer does instead of failing. */
export function onUnauthenticated(fn: (() => void) | null): void {
  unauthenticated = fn;
}

/** idleFor is how long since the API last answered successfully, in ms. */
export function idleFor(): number {
  return lastSuccess ? Date.now() - lastSuccess : Infinity;
}

/** request calls the API and returns its JSON answer (undefined for 204). */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Language': lang() };
  const init: RequestInit = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', t('error.network'));
  }
  if (res.ok) {
    lastSuccess = Date.now();
    if (res.status === 204) return undefined as T;
    // An accepted action (202) may answer with no body.
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
  const err = await toError(res);
  if (err.code === 'unauthenticated' && unauthenticated) {
    unauthenticated();
    // The page is leaving: nothing after this call should run.
    return new Promise<T>(() => {});
  }
  throw err;
}

async function toError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON: a gateway or proxy answer.
  }
  const e = (body as { error?: { code?: string; message?: string; field?: string; rules?: string[] } } | null)?.error;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') {
    return new ApiError(res.status, e.code, e.message, e.field, e.rules);
  }
  if (res.status >= 500) return new ApiError(res.status, 'internal', t('error.internal'));
  if (res.status === 401) return new ApiError(401, 'unauthenticated', t('login.reason.expired'));
  if (res.status === 403) return new ApiError(403, 'forbidden', t('error.forbidden'));
  return new ApiError(res.status, 'http_' + res.status, t('error.status', { status: res.status }));
}

const enc = encodeURIComponent;

export const api = {
  space: (id: string) => request<SpaceInfo>('GET', `/api/spaces/${enc(id)}`),
  me: () => request<Me>('GET', '/api/me'),
  login: (identifier: string, password: string) => request<Me>('POST', '/api/auth/login', { identifier, password }),
  logout: () => request<void>('POST', '/api/auth/logout', {}),
  recovery: (space: string, email: string) => request<{ message: string }>('POST', '/api/auth/recovery', { space, email }),
  inspect: (token: string) => request<Recovery>('POST', '/api/auth/recovery/inspect', { token }),
  complete: (token: string, identifier: string, password: string, confirmation: string) =>
    request<void>('POST', '/api/auth/recovery/complete', { token, identifier, password, confirmation }),
  preferences: (p: { historyMonths?: number; language?: string }) => request<Me>('PUT', '/api/me/preferences', p),
  changePassword: (currentPassword: string, newPassword: string, confirmation: string) =>
    request<void>('POST', '/api/me/password', { currentPassword, newPassword, confirmation }),
  documents: (query: URLSearchParams) => request<List<Doc>>('GET', `/api/documents?${query}`),
  exportCreate: (req: { ids?: string[]; from?: string; to?: string; type?: string; format: 'zip' | 'csv' }) =>
    request<ExportState>('POST', '/api/exports', req),
  exportStatus: (id: string) => request<ExportState>('GET', `/api/exports/${enc(id)}`),
  users: () => request<List<User>>('GET', '/api/admin/users'),
  createUser: (u: Record<string, unknown>) => request<User>('POST', '/api/admin/users', u),
  updateUser: (identifier: string, patch: Record<string, unknown>) =>
    request<User>('PATCH', `/api/admin/users/${enc(identifier)}`, patch),
  // One call is one use of the link: the page asks once per click, never on a re-render.
  followLink: (token: string) => request<{ url: string }>('GET', `/api/links/${enc(token)}`),
  audit: (cursor?: string) => request<List<AuditEntry>>('GET', `/api/admin/audit${cursor ? `?cursor=${enc(cursor)}` : ''}`),
};

/** downloadURL is the API path that redirects to a document's file. */
export function downloadURL(id: string): string {
  return `/api/documents/${enc(id)}/download`;
}

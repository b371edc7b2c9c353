// The console's JSON API (PRODUCT.md §11), same origin, under its own
// session cookie. Calls go through lib/api.ts's request, so errors come
// back in the page's language and a lost session goes to one handler.
import { request, type Doc, type List } from '../lib/api.ts';

export type StaffRole = 'advisor' | 'supervisor';

export interface StaffMe {
  identifier: string;
  role: StaffRole;
  space: { id: string; name: string };
}

/** CustomerSummary is one search result: the referential fields and the mail status. */
export interface CustomerSummary {
  customerNumber: string;
  companyName: string;
  siren?: string | null;
  email?: string | null;
  notification?: string | null;
  delivery?: string | null;
  language?: string | null;
  mailStatus?: string | null;
  mailStatusAt?: string | null;
}

export interface CustomerAccount {
  identifier: string;
  active: boolean;
  admin: boolean;
  registeredAdmin: boolean;
  passwordSet: boolean;
  lastLoginAt: string | null;
  activationExpiresAt: string | null;
}

export interface CustomerMail {
  kind: string;
  to: string;
  status: string;
  at: string;
  attempts: number;
  lastError?: string | null;
}

export interface CustomerDetail extends CustomerSummary {
  updatedAt?: string | null;
  accounts: CustomerAccount[];
  documents: { count: number; lastIssueDate: string | null };
  mails: CustomerMail[];
}

export interface Rejection {
  key: string;
  code: string;
  message: string;
  at: string;
}

export interface StaffAuditEntry {
  at: string;
  actor: string;
  action: string;
  target: string;
  detail: string;
}

/** PasswordLink is whom a set-password link sets. */
export interface PasswordLink {
  space: string;
  identifier: string;
  role: StaffRole;
}

const enc = encodeURIComponent;
const withCursor = (path: string, cursor?: string | null) => (cursor ? `${path}?cursor=${enc(cursor)}` : path);

export const staffApi = {
  login: (space: string, identifier: string, password: string, code: string) =>
    request<StaffMe>('POST', '/api/staff/login', { space, identifier, password, code }),
  logout: () => request<void>('POST', '/api/staff/logout', {}),
  me: () => request<StaffMe>('GET', '/api/staff/me'),
  inspectPassword: (token: string) => request<PasswordLink>('POST', '/api/staff/password/inspect', { token }),
  setPassword: (token: string, password: string, confirmation: string) =>
    request<void>('POST', '/api/staff/password', { token, password, confirmation }),
  customers: (q: string, cursor?: string | null, limit = 20) => {
    const query = new URLSearchParams({ q, limit: String(limit) });
    if (cursor) query.set('cursor', cursor);
    return request<List<CustomerSummary>>('GET', `/api/staff/customers?${query}`);
  },
  customer: (number: string) => request<CustomerDetail>('GET', `/api/staff/customers/${enc(number)}`),
  documents: (number: string, query: URLSearchParams) =>
    request<List<Doc>>('GET', `/api/staff/customers/${enc(number)}/documents?${query}`),
  resendActivation: (number: string) => request<unknown>('POST', `/api/staff/customers/${enc(number)}/activation`, {}),
  clearMailStatus: (number: string, seen: string) =>
    // An empty JSON body: every state change is sent as JSON (PRODUCT.md §6).
    request<void>('DELETE', `/api/staff/customers/${enc(number)}/mail-status?status=${enc(seen)}`, {}),
  rejections: (cursor?: string | null) => request<List<Rejection>>('GET', withCursor('/api/staff/rejections', cursor)),
  audit: (cursor?: string | null) => request<List<StaffAuditEntry>>('GET', withCursor('/api/staff/audit', cursor)),
};

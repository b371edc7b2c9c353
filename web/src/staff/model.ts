// What the console makes of the API's values: mail status badges, account
// activation states, the TOTP code typed by staff. Pure, so unit-tested.

/** MailBadge is how a customer's mail status shows: normal, bounced (with why) or complaint. */
export interface MailBadge {
  kind: 'ok' | 'bounced' | 'complaint';
  reason: 'mailbox_full' | 'address_unknown' | null;
}

/**
 * mailBadge reads a mail status as SES events write it (PRODUCT.md §5):
 * "bounced: mailbox full", "bounced: address unknown", "bounced",
 * "complaint"; empty is normal. An unknown non-empty status counts as a
 * bounce, since any status stops notification mail.
 */
export function mailBadge(status: string | null | undefined): MailBadge {
  const s = (status ?? '').trim().toLowerCase();
  if (s === '') return { kind: 'ok', reason: null };
  if (s.startsWith('complaint')) return { kind: 'complaint', reason: null };
  if (s.includes('mailbox full')) return { kind: 'bounced', reason: 'mailbox_full' };
  if (s.includes('address unknown')) return { kind: 'bounced', reason: 'address_unknown' };
  return { kind: 'bounced', reason: null };
}

export interface AccountFacts {
  active: boolean;
  passwordSet: boolean;
  activationExpiresAt: string | null;
}

export type AccountState =
  | { state: 'inactive' }
  | { state: 'active' }
  | { state: 'pending'; until: string }
  | { state: 'expired'; at: string }
  | { state: 'noPassword' };

/** accountState says where an account is in its activation, at now. */
export function accountState(a: AccountFacts, now: Date): AccountState {
  if (!a.active) return { state: 'inactive' };
  if (a.passwordSet) return { state: 'active' };
  if (a.activationExpiresAt) {
    const until = new Date(a.activationExpiresAt);
    if (!Number.isNaN(until.getTime())) {
      return until.getTime() > now.getTime() ? { state: 'pending', until: a.activationExpiresAt } : { state: 'expired', at: a.activationExpiresAt };
    }
  }
  return { state: 'noPassword' };
}

/**
 * totpCode reads a typed verification code: 6 digits, with the spaces or
 * dashes authenticator apps show between groups dropped; null otherwise.
 */
export function totpCode(typed: string): string | null {
  const s = typed.replace(/[\s\u00a0-]/g, '');
  return /^\d{6}$/.test(s) ? s : null;
}

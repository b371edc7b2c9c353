// Dates and amounts as the user's language writes them (Intl). Calendar
// dates (YYYY-MM-DD) are formatted in UTC so that no time zone moves them
// by a day; instants are shown in the browser's own zone.
import { lang, locale, type Lang } from './i18n.ts';

const dateRe = /^(\d{4})-(\d{2})-(\d{2})$/;

/** formatDate writes a calendar date such as 2026-03-07 as 07/03/2026 (fr) or 07/03/2026 (en-GB). */
export function formatDate(date: string | null | undefined, l: Lang = lang()): string {
  if (!date) return '';
  const m = dateRe.exec(date);
  if (!m) return date;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return new Intl.DateTimeFormat(locale(l), { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' }).format(d);
}

/** formatDateTime writes an instant (RFC 3339) with its date and time of day, in timeZone (the browser's by default). */
export function formatDateTime(instant: string | null | undefined, l: Lang = lang(), timeZone?: string): string {
  if (!instant) return '';
  const d = new Date(instant);
  if (Number.isNaN(d.getTime())) return instant;
  return new Intl.DateTimeFormat(locale(l), {
    day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone,
  }).format(d);
}

/** formatInstantDate writes only the calendar date of an instant, in timeZone. */
export function formatInstantDate(instant: string | null | undefined, l: Lang = lang(), timeZone?: string): string {
  if (!instant) return '';
  const d = new Date(instant);
  if (Number.isNaN(d.getTime())) return instant;
  return new Intl.DateTimeFormat(locale(l), { day: '2-digit', month: '2-digit', year: 'numeric', timeZone }).format(d);
}

/** formatAmount writes a decimal string such as "1234.5" with its currency, or "" when there is no amount. */
export function formatAmount(amount: string | null | undefined, currency: string | null | undefined, l: Lang = lang()): string {
  if (amount == null || amount === '') return '';
  const n = Number(amount);
  if (!Number.isFinite(n)) return amount;
  if (currency && /^[A-Z]{3}$/.test(currency)) {
    try {
      return new Intl.NumberFormat(locale(l), { style: 'currency', currency }).format(n);
    } catch {
      // An unknown code: the number alone, with its code after.
    }
  }
  const plain = new Intl.NumberFormat(locale(l), { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n);
  return currency ? `${plain} ${currency}` : plain;
}

/** daysUntil counts whole days from now until instant (negative once past). */
export function daysUntil(instant: string, now: Date): number {
  const ms = new Date(instant).getTime() - now.getTime();
  return Math.floor(ms / 86_400_000);
}

/** isDate reports whether s is a valid calendar date YYYY-MM-DD. */
export function isDate(s: string): boolean {
  const m = dateRe.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

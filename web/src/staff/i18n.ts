// The console's texts in the portal's current language (lib/i18n.ts decides
// which: French unless English was chosen in this browser).
import { fill, lang, locale, type Lang } from '../lib/i18n.ts';
import { en, fr, type StaffKey } from './strings.ts';

export type { StaffKey };

const tables: Record<Lang, Record<StaffKey, string>> = { fr, en };

export function stIn(l: Lang, key: StaffKey, vars?: Record<string, string | number>): string {
  return fill(tables[l][key], vars);
}

/** st returns key's text in the current language, filled with vars. */
export function st(key: StaffKey, vars?: Record<string, string | number>): string {
  return stIn(lang(), key, vars);
}

type PluralBase = StaffKey extends infer K ? (K extends `${infer B}.one` ? B : never) : never;

/** stn returns the plural form of base that count takes, with count formatted for the language. */
export function stn(base: PluralBase, count: number, vars?: Record<string, string | number>, l: Lang = lang()): string {
  const form = new Intl.PluralRules(locale(l)).select(count) === 'one' ? 'one' : 'other';
  return stIn(l, `${base}.${form}` as StaffKey, { count: new Intl.NumberFormat(locale(l)).format(count), ...vars });
}

/** has reports whether key names a text of the console (for labels of API values). */
export function has(key: string): key is StaffKey {
  return Object.prototype.hasOwnProperty.call(fr, key);
}

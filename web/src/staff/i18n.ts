// The console's texts in the portal's current language (lib/i18n.ts decides
// which: French unless English was chosen in this browser).
import { fill, lang, locale, type Lang } from '../lib/i18n.ts';
import type { StaffKey } from './strings.ts';

export type { StaffKey };

// Each language's texts are a chunk of their own, loaded on demand, so a page load
// ships one language (docs/BENCHMARKS.md R10). Pages await loadStaffLang before drawing.
const tables: Partial<Record<Lang, Record<StaffKey, string>>> = {};

/** loadStaffLang makes l's texts available. */
export async function loadStaffLang(l: Lang): Promise<void> {
  if (tables[l]) return;
  tables[l] = l === 'en' ? (await import('./strings-en.ts')).en : (await import('./strings.ts')).fr;
}

/** stIn returns key's text in l, filled with vars; the key itself until l is loaded. */
export function stIn(l: Lang, key: StaffKey, vars?: Record<string, string | number>): string {
  const table = tables[l];
  return table ? fill(table[key], vars) : key;
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
  const table = tables[lang()];
  return !!table && Object.prototype.hasOwnProperty.call(table, key);
}

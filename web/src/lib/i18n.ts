// The portal's language: French unless the user chose English, either on a
// public page (kept in this browser) or in their preferences (kept on the
// server, and copied here at each signed-in page).
import { en, fr, type Key } from './strings.ts';

export type Lang = 'fr' | 'en';
export type { Key };

const tables: Record<Lang, Record<Key, string>> = { fr, en };
const storageKey = 'efacture.lang';

export function isLang(x: unknown): x is Lang {
  return x === 'fr' || x === 'en';
}

function stored(): Lang {
  try {
    const v = globalThis.localStorage?.getItem(storageKey);
    if (isLang(v)) return v;
  } catch {
    // Storage may be disabled; French is the default anyway.
  }
  return 'fr';
}

let current: Lang = stored();

/** lang is the language pages are drawn in. */
export function lang(): Lang {
  return current;
}

/** locale is the BCP 47 locale Intl formats with. */
export function locale(l: Lang = current): string {
  return l === 'en' ? 'en-GB' : 'fr-FR';
}

/** setLang switches the language and remembers it in this browser. */
export function setLang(l: Lang): void {
  current = l;
  try {
    globalThis.localStorage?.setItem(storageKey, l);
  } catch {
    // Not remembered: the page still switches.
  }
  if (typeof document !== 'undefined') document.documentElement.lang = l;
}

/** fill replaces each {name} of template by vars[name]; unknown names stay. */
export function fill(template: string, vars?: Record<string, string | number>): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/** translate returns key's text in l, filled with vars. */
export function translate(l: Lang, key: Key, vars?: Record<string, string | number>): string {
  return fill(tables[l][key], vars);
}

/** t returns key's text in the current language, filled with vars. */
export function t(key: Key, vars?: Record<string, string | number>): string {
  return translate(current, key, vars);
}

/** Keys that have .one and .other forms, without the suffix. */
type PluralBase = Key extends infer K ? (K extends `${infer B}.one` ? B : never) : never;

/** tn returns the plural form of base that count takes in the current language. */
export function tn(base: PluralBase, count: number, vars?: Record<string, string | number>): string {
  return pluralIn(current, base, count, vars);
}

export function pluralIn(l: Lang, base: PluralBase, count: number, vars?: Record<string, string | number>): string {
  const form = new Intl.PluralRules(locale(l)).select(count) === 'one' ? 'one' : 'other';
  return translate(l, `${base}.${form}` as Key, { count: new Intl.NumberFormat(locale(l)).format(count), ...vars });
}

// Figures the browser tests measure, gathered into one file that run.ts prints.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export function record(name: string, value: string): void {
  const file = process.env.E2E_METRICS;
  if (!file) return;
  const all = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  all[name] = value;
  writeFileSync(file, JSON.stringify(all, null, 2));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

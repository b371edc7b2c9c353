// Checks the built frontend (web/dist) against the portal's rules, and
// reports what each page ships:
//   - no inline script, inline style, style attribute or event attribute
//     (the CSP allows neither);
//   - every script and stylesheet comes from this origin (/assets/...);
//   - each page's JS + CSS, gzipped, stays within the budget.
// Usage: node scripts/check-dist.mjs [--budget-kb 30]
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const budgetArg = process.argv.indexOf('--budget-kb');
const budget = (budgetArg > 0 ? Number(process.argv[budgetArg + 1]) : 30) * 1024;

const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const problems = [];
const rows = [];

for (const page of readdirSync(dist).filter((f) => f.endsWith('.html')).sort()) {
  const html = readFileSync(join(dist, page), 'utf8');
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (!/\bsrc=/.test(m[1]) || m[2].trim()) problems.push(`${page}: inline script`);
  }
  if (/<style\b/i.test(html)) problems.push(`${page}: <style> element`);
  if (/\sstyle\s*=/i.test(html)) problems.push(`${page}: style attribute`);
  if (/\son[a-z]+\s*=/i.test(html)) problems.push(`${page}: event handler attribute`);
  const refs = [...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"[^>]*>/gi)].map((m) => m[1]).filter((u) => !u.startsWith('data:'));
  for (const u of refs) {
    if (!u.startsWith('/assets/')) problems.push(`${page}: ${u} is not one of this origin's assets`);
  }
  const files = new Set(refs.filter((u) => /\.(js|css)$/.test(u)).map((u) => u.slice(1)));
  // A dynamic import loads one of its targets (the help of one language): count the largest.
  let dynamic = 0;
  for (const f of [...files].filter((f) => f.endsWith('.js'))) {
    const targets = [...readFileSync(join(dist, f), 'utf8').matchAll(/import\(\s*["'`]\.\/([^"'`]+\.js)["'`]\s*\)/g)].map((m) => `assets/${m[1]}`);
    for (const tgt of targets) dynamic = Math.max(dynamic, gz(tgt));
  }
  let js = dynamic;
  let css = 0;
  for (const f of files) {
    if (f.endsWith('.js')) js += gz(f);
    else css += gz(f);
  }
  rows.push({ page, js, css, total: js + css });
  if (js + css > budget) problems.push(`${page}: ${(js + css) / 1024} KB of JS + CSS (gzip), over the ${budget / 1024} KB budget`);
}

for (const f of readdirSync(join(dist, 'assets'))) {
  const text = readFileSync(join(dist, 'assets', f), 'utf8');
  const foreign = [...text.matchAll(/https?:\/\/[^\s"'`)]+/g)].map((m) => m[0]).filter((u) => !/^http:\/\/www\.w3\.org\//.test(u));
  if (foreign.length) problems.push(`assets/${f}: refers to ${foreign.join(', ')}`);
}

const kb = (n) => (n / 1024).toFixed(1).padStart(6);
console.log('page             JS KB  CSS KB  total KB (gzip)');
for (const r of rows) console.log(`${r.page.padEnd(15)} ${kb(r.js)}  ${kb(r.css)}  ${kb(r.total)}`);
if (problems.length) {
  console.error(problems.map((p) => `check-dist: ${p}`).join('\n'));
  process.exit(1);
}
console.log(`check-dist: ${rows.length} pages, no inline script or style, only this origin's assets, each within ${budget / 1024} KB`);

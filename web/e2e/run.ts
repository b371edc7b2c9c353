// Runs the browser tests: starts one portal (infra/e2eportal: the local
// runner with its own emulators on free ports), runs every e2e/*.test.js
// file against it with Node's test runner, then stops the portal.
//
//   node .build/e2e/run.js [test-name-pattern]
//
// E2E_PORTAL_BIN names a built e2eportal binary; without it, `go run` builds one.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPortal } from './lib.ts';

const here = dirname(fileURLToPath(import.meta.url));
const web = resolve(here, '..', '..');
const repo = resolve(web, '..');

const bin = process.env.E2E_PORTAL_BIN;
const command = bin ? [resolve(bin), '-web', join(web, 'dist')] : ['go', 'run', './infra/e2eportal', '-web', join(web, 'dist')];
if (!existsSync(join(web, 'dist', 'index.html'))) {
  console.error('web/dist is not built: run make web (or npm run build in web/) first');
  process.exit(2);
}

const t0 = Date.now();
const portal = await startPortal(command, repo);
console.log(`# portal ${portal.portalUrl} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (function logs: ${portal.functionLog})`);

const files = readdirSync(here).filter((f) => f.endsWith('.test.js')).sort().map((f) => join(here, f));
const args = ['--test', '--test-concurrency=1', '--test-reporter=spec'];
if (process.argv[2]) args.push('--test-name-pattern', process.argv[2]);
const metrics = join(here, 'metrics.json');
rmSync(metrics, { force: true });
const code = await new Promise<number>((done) => {
  const child = spawn(process.execPath, [...args, ...files], {
    stdio: 'inherit',
    env: { ...process.env, E2E_PORTAL: JSON.stringify(portal), E2E_METRICS: metrics },
  });
  child.on('exit', (c) => done(c ?? 1));
});
await portal.close();
if (existsSync(metrics)) {
  console.log('# measured in the browser:');
  for (const [k, v] of Object.entries(JSON.parse(readFileSync(metrics, 'utf8')) as Record<string, unknown>)) console.log(`#   ${k}: ${v}`);
}
process.exit(code);

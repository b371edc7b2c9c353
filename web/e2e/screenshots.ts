// Saves each page of the portal at desktop and phone width into
// docs/screenshots/, with a small index page (make screenshots). It runs its
// own portal with sample data, as the browser tests do.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { activate, applyReferential, applySpace, control, drop, launch, linkIn, mailEvent, newPage, portalURL, signIn, startPortal, waitMail } from './lib.ts';
import { Authenticator } from './totp.ts';

const here = dirname(fileURLToPath(import.meta.url));
const web = resolve(here, '..', '..');
const repo = resolve(web, '..');
const out = join(repo, 'docs', 'screenshots');
const bin = process.env.E2E_PORTAL_BIN;
const command = bin ? [resolve(web, bin), '-web', join(web, 'dist')] : ['go', 'run', './infra/e2eportal', '-web', join(web, 'dist')];

const portal = await startPortal(command, repo);
process.env.E2E_PORTAL = JSON.stringify(portal);
const browser = await launch();
try {
  const space = 'acme';
  const admin = { email: 'claire.martin@example.com', password: 'Croissant-chaud-42' };
  await applySpace({ id: space, name: 'Acme Finance / Acme Location', since: '2024-12-02', brand: { color: '#0b5394' }, profiles: ['Aucun', 'Comptabilité', 'Direction'] });
  await applyReferential(space, 'customers.csv', [
    { number: 'C1001', company: 'Boulangerie Dupré SARL', email: admin.email, notification: 'link' },
    { number: 'C1002', company: 'Boucherie Lemoine', email: 'contact@lemoine.example' },
  ]);
  const docs: [string, number, ('invoice' | 'credit_note')?, boolean?][] = [
    ['FA2026-0458', 3], ['AV2026-0051', 12, 'credit_note', true], ['FA2026-0437', 18], ['FA2026-0431', 25],
    ['FA2026-0420', 33], ['FA2026-0412', 41], ['FA2024-0102', 715],
  ];
  for (const [number, daysAgo, type, copy] of docs) await drop({ space, customer: 'C1001', number, daysAgo, type, copy });
  await activate(admin.email, admin.password);
  await fetch(portalURL('/api/auth/recovery'), {
    method: 'POST', headers: { 'Content-Type': 'application/json', Origin: portalURL('') }, body: JSON.stringify({ space, email: admin.email }),
  });
  const recovery = linkIn(await waitMail(admin.email, (m) => m.text.includes('#token=') && !/Activation/.test(m.subject)), '#token=');
  // The supplier console: a supervisor, and a customer whose mail bounced.
  await drop({ space, customer: 'C1002', number: 'FA2026-0460', daysAgo: 2 });
  await mailEvent({ space, customer: 'C1002', to: 'contact@lemoine.example', kind: 'bounce', subType: 'MailboxFull' });
  const staff = { identifier: 'sophie.martin', password: 'Service-Client-2026!' };
  const enrolment = await control<{ link: string; secret: string }>('POST', '/staff', { space, identifier: staff.identifier, role: 'supervisor' });
  const token = new URL(enrolment.link).hash.replace('#token=', '');
  const headers = { 'Content-Type': 'application/json', Origin: portalURL('') };
  const set = await fetch(portalURL('/api/staff/password'), { method: 'POST', headers, body: JSON.stringify({ token, password: staff.password, confirmation: staff.password }) });
  if (set.status !== 204) throw new Error(`staff password: ${set.status} ${await set.text()}`);
  const authenticator = new Authenticator(enrolment.secret);

  mkdirSync(out, { recursive: true });
  const shots: { name: string; title: string }[] = [];
  const sizes = [{ label: 'desktop', width: 1280, height: 800 }, { label: 'phone', width: 375, height: 740 }];
  const visits: { name: string; title: string; path: string; signedIn: boolean; ready: (p: Page) => Promise<unknown> }[] = [
    { name: 'login', title: 'Connexion', path: `/${space}/`, signedIn: false, ready: (p) => p.locator('input[name=identifier]').waitFor() },
    { name: 'forgot', title: 'Mot de passe ou identifiant oublié', path: `/${space}/forgot`, signedIn: false, ready: (p) => p.locator('input[name=email]').waitFor() },
    { name: 'password', title: 'Choisir son mot de passe (lien reçu par mail)', path: recovery.replace(portalURL(''), ''), signedIn: false, ready: (p) => p.locator('input[name=password]').waitFor() },
    { name: 'documents', title: 'Mes documents', path: `/${space}/documents`, signedIn: true, ready: (p) => p.locator('tbody tr').first().waitFor() },
    { name: 'profile', title: 'Mon profil', path: `/${space}/profile`, signedIn: true, ready: (p) => p.locator('select[name=language]').waitFor() },
    { name: 'admin', title: 'Administration', path: `/${space}/admin`, signedIn: true, ready: (p) => p.locator('table.audit tbody tr').first().waitFor() },
    { name: 'help', title: 'Aide', path: `/${space}/help`, signedIn: true, ready: (p) => p.locator('.qa').first().waitFor() },
    { name: 'staff-login', title: 'Console : connexion du personnel', path: `/${space}/staff/`, signedIn: false, ready: (p) => p.locator('input[name=code]').waitFor() },
    { name: 'staff-search', title: 'Console : recherche de clients', path: `/${space}/staff/customers?q=C100`, signedIn: true, ready: (p) => p.locator('table.customers tbody tr').first().waitFor() },
    { name: 'staff-customer', title: 'Console : un client (mail rejeté)', path: `/${space}/staff/customer?number=C1002`, signedIn: true, ready: (p) => p.locator('table.staff-documents tbody tr').first().waitFor() },
  ];
  for (const size of sizes) {
    const { page, context } = await newPage(browser, { width: size.width, height: size.height });
    for (const v of visits) {
      const inConsole = v.path.includes('/staff/');
      if (v.signedIn && !inConsole && !(await context.cookies()).length) await signIn(page, space, admin.email, admin.password);
      if (v.signedIn && inConsole && !(await context.cookies()).some((c) => /staff/i.test(c.name))) {
        await page.goto(portalURL(`/${space}/staff/`));
        await page.locator('input[name=identifier]').fill(staff.identifier);
        await page.locator('input[name=password]').fill(staff.password);
        await page.locator('input[name=code]').fill(authenticator.code());
        await page.locator('form button[type=submit]').click();
        await page.waitForURL(/\/staff\/customers/);
      }
      await page.goto(portalURL(v.path));
      await v.ready(page);
      const file = `${v.name}-${size.label}.png`;
      // The help is long: its first screen is enough and keeps the file small.
      await page.screenshot({ path: join(out, file), fullPage: v.name !== 'help' });
      console.log(`docs/screenshots/${file}`);
      if (size.label === 'desktop') shots.push({ name: v.name, title: v.title });
    }
    await context.close();
  }
  const rows = shots.map((s) => `| ${s.title} | ![${s.title}, desktop](${s.name}-desktop.png) | ![${s.title}, phone](${s.name}-phone.png) |`);
  writeFileSync(join(out, 'README.md'), [
    '# Screenshots',
    '',
    'Each page of the portal at desktop (1280 px) and phone (375 px) width, in French, with sample',
    'data. Made by `make screenshots` (web/e2e/screenshots.ts), which runs its own local portal.',
    '',
    '| page | desktop | phone |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n'));
} finally {
  await browser.close();
  await portal.close();
}

// Helpers of the browser tests: the portal under test (started by run.ts
// through infra/e2eportal), its control server playing billing, the mails
// the SES emulator captured, and Debian's Chromium driven by playwright-core.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { chromium, type APIResponse, type Browser, type BrowserContext, type Page, type Route } from 'playwright-core';

export interface PortalInfo {
  portalUrl: string;
  controlUrl: string;
  sesUrl: string;
  functionLog: string;
}

export interface Portal extends PortalInfo {
  close(): Promise<void>;
}

/**
 * startPortal runs the e2e portal command (a built binary, or `go run`) and
 * waits for its ready line. Closing its standard input stops it.
 */
export async function startPortal(command: string[], cwd: string): Promise<Portal> {
  const child: ChildProcess = spawn(command[0], command.slice(1), { cwd, stdio: ['pipe', 'pipe', 'inherit'] });
  const info = await new Promise<PortalInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the e2e portal did not start within 4 minutes')), 240_000);
    child.once('exit', (code) => reject(new Error(`the e2e portal exited with ${code} before it was ready`)));
    child.once('error', reject);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as PortalInfo);
      } catch {
        reject(new Error(`unexpected first line from the e2e portal: ${line}`));
      }
    });
  });
  return {
    ...info,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGTERM'), 30_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.stdin!.end();
      }),
  };
}

/** portal is the portal run.ts started, for the test files it runs. */
export function portal(): PortalInfo {
  const raw = process.env.E2E_PORTAL;
  if (!raw) throw new Error('E2E_PORTAL is not set: run the browser tests through e2e/run.js (make test-web)');
  return JSON.parse(raw) as PortalInfo;
}

/** control calls the e2e portal's control server. */
export async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(portal().controlUrl + path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

export interface SpaceConfig {
  id: string;
  name: string;
  since: string;
  profiles?: string[];
  revealUnknownAccounts?: boolean;
  brand?: { color: string };
}

export async function applySpace(space: SpaceConfig): Promise<void> {
  await control('POST', '/spaces', { spaces: [space] });
}

export interface Customer {
  number: string;
  company: string;
  email: string;
  notification?: 'none' | 'attachment' | 'link' | 'digest';
  delivery?: 'electronic' | 'paper';
  language?: 'fr' | 'en';
}

/** applyReferential drops a customer referential (CSV) and waits until it is applied. */
export async function applyReferential(space: string, file: string, customers: Customer[]): Promise<void> {
  const lines = ['customer_number;company_name;email;notification;delivery;language'];
  for (const c of customers) {
    lines.push([c.number, c.company, c.email, c.notification ?? '', c.delivery ?? '', c.language ?? ''].join(';'));
  }
  const report = await control<{ applied: number; rejected: number; errors: unknown[] }>('POST', '/referential', { space, file, content: lines.join('\n') + '\n' });
  if (report.rejected) throw new Error(`referential rows rejected: ${JSON.stringify(report.errors)}`);
}

export interface Dropped {
  key: string;
  sha256: string;
  size: number;
  amount: string;
  issueDate: string;
}

export interface DocumentDrop {
  space: string;
  customer: string;
  number: string;
  type?: 'invoice' | 'credit_note';
  daysAgo?: number;
  copy?: boolean;
}

/** drop puts a sample PDF into the inbox as billing does and waits until it is filed. */
export function drop(d: DocumentDrop): Promise<Dropped> {
  return control<Dropped>('POST', '/documents', d);
}

export interface MailEvent {
  space: string;
  /** the customer whose mail it was; '' for a mail of no single company (recovery) */
  customer: string;
  to: string;
  kind: 'bounce' | 'complaint' | 'delivery';
  subType?: string;
}

/** mailEvent plays an SES bounce, complaint or delivery event, as the configuration set publishes it. */
export async function mailEvent(e: MailEvent): Promise<void> {
  await control('POST', '/mail-event', e);
}

export interface Mail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  at: string;
  attachments: string[];
}

/** waitMail polls the SES emulator until a mail to `to` matches, and returns the newest such. */
export async function waitMail(to: string, match: (m: Mail) => boolean = () => true, timeoutMs = 30_000): Promise<Mail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mails = await control<Mail[]>('GET', '/mails');
    const found = mails.filter((m) => m.to.some((x) => x.toLowerCase().includes(to.toLowerCase())) && match(m));
    if (found.length) return found[found.length - 1];
    if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${timeoutMs} ms; mails: ${mails.map((m) => `${m.to} «${m.subject}»`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** linkIn returns the first portal link of a mail's text whose path contains part. */
export function linkIn(mail: Mail, part: string): string {
  const links = mail.text.match(/https?:\/\/\S+/g) ?? [];
  const link = links.find((l) => l.includes(part));
  if (!link) throw new Error(`no link with ${part} in mail «${mail.subject}»:\n${mail.text}`);
  return link;
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Chromium's flags: headless, no network beyond loopback, nothing phoning home. */
const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * launch starts Debian's Chromium; playwright-core never downloads a browser.
 * Playwright gives each launch a fresh, temporary user data directory.
 */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: chromiumArgs,
    timeout: 60_000,
  });
}

/** newPage opens a page with its own cookies, at a desktop size by default, that records errors and foreign requests. */
export async function newPage(browser: Browser, opts: { width?: number; height?: number; locale?: string } = {}): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
    locale: opts.locale ?? 'fr-FR',
    acceptDownloads: true,
  });
  await emulateS3Disposition(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  const origin = new URL(portal().portalUrl).origin;
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|404|400|403|409|410|429)/.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    // Downloads leave for the archive's presigned URL (a navigation): anything else must stay on the origin.
    // Browser internals (chrome:, chrome-extension:) are not the page's requests.
    if (!/^(https?|wss?):$/.test(u.protocol)) return;
    if (u.origin !== origin && !(r.isNavigationRequest() && u.pathname.includes('bucket'))) {
      problems.push(`request to another origin: ${r.url()}`);
    }
  });
  return { context, page, problems };
}

export const portalURL = (path: string) => portal().portalUrl + path;

/**
 * emulateS3Disposition adds the Content-Disposition a presigned URL asks
 * for (response-content-disposition), which S3 honours and moto ignores:
 * without it the browser would show a PDF instead of downloading it. A
 * route sees only the first URL of a redirect, so the API's download
 * redirect is followed here.
 */
async function emulateS3Disposition(context: BrowserContext): Promise<void> {
  const withDisposition = async (route: Route, res: APIResponse, url: string) => {
    const disposition = new URL(url).searchParams.get('response-content-disposition');
    await route.fulfill({ response: res, headers: disposition ? { ...res.headers(), 'content-disposition': disposition } : res.headers() });
  };
  await context.route(/[?&]response-content-disposition=/, async (route) => {
    await withDisposition(route, await route.fetch(), route.request().url());
  });
  await context.route(/\/api\/documents\/[^/]+\/download$/, async (route) => {
    const res = await route.fetch({ maxRedirects: 0 });
    const location = res.headers()['location'];
    if (res.status() !== 302 || !location) return route.fulfill({ response: res });
    await withDisposition(route, await route.fetch({ url: location }), location);
  });
}

/** signIn fills the sign-in form of space and waits for the documents page. */
export async function signIn(page: Page, space: string, identifier: string, password: string): Promise<void> {
  await page.goto(portalURL(`/${space}/`));
  await page.getByLabel('Identifiant', { exact: true }).or(page.getByLabel('Identifier', { exact: true })).fill(identifier);
  await page.locator('input[name=password]').fill(password);
  await page.locator('form button[type=submit]').click();
  await page.waitForURL(/\/documents/);
  await page.locator('main h1').waitFor();
}

/** activate reads the activation mail of email and sets its password through the API, as the set-password page does. */
export async function activate(email: string, password: string): Promise<string> {
  const mail = await waitMail(email, (m) => /#token=/.test(m.text));
  const link = linkIn(mail, '#token=');
  const token = new URL(link).hash.replace('#token=', '');
  const origin = portal().portalUrl;
  const headers = { 'Content-Type': 'application/json', Origin: origin };
  const inspect = await fetch(`${origin}/api/auth/recovery/inspect`, { method: 'POST', headers, body: JSON.stringify({ token }) });
  if (!inspect.ok) throw new Error(`inspect: ${inspect.status} ${await inspect.text()}`);
  const { accounts } = (await inspect.json()) as { accounts: { identifier: string }[] };
  const identifier = accounts[0].identifier;
  const res = await fetch(`${origin}/api/auth/recovery/complete`, { method: 'POST', headers, body: JSON.stringify({ token, identifier, password, confirmation: password }) });
  if (res.status !== 204) throw new Error(`complete: ${res.status} ${await res.text()}`);
  return identifier;
}

/** noHorizontalScroll reports how far the page is wider than its viewport (0 when it fits). */
export async function overflowX(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

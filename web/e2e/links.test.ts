// The no-login links of a digest mail (PRODUCT.md §5, §6): the mail links to the
// portal's link page, which a click from webmail opens cross-site; the page asks
// the API same-origin and the file downloads. The API itself refuses the link
// from another site, and the page explains expired links and spent budgets in
// French and English.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { applyReferential, applySpace, control, drop, launch, linkIn, newPage, portalURL, sha256, waitMail, type Dropped } from './lib.ts';

const space = 'liens';
const email = 'carla@liens.example';
// A site of its own, as webmail is: the browser marks what it links to as cross-site.
const webmail = 'http://webmail.example/';
let browser: Browser;
let doc: Dropped;
let link = '';

before(async () => {
  browser = await launch();
  await applySpace({ id: space, name: 'Liens Directs', since: '2024-01-01' });
  await applyReferential(space, 'customers.csv', [{ number: 'L1', company: 'Carla Liens SARL', email, notification: 'digest' }]);
  doc = await drop({ space, customer: 'L1', number: 'FL-001', daysAgo: 1 });
  await control('POST', '/digest', { space });
  link = linkIn(await waitMail(email, (m) => m.text.includes('/link#token=')), '/link#token=');
  assert.match(link, new RegExp(`^${portalURL(`/${space}/link#token=`).replace(/[.?]/g, '\\$&')}[A-Za-z0-9_-]{22}$`));
});

after(async () => {
  await browser?.close();
});

/** inWebmail opens a page of another site that shows href as a mail's link. */
async function inWebmail(page: Page, href: string): Promise<void> {
  await page.route(`${webmail}**`, (route) =>
    route.fulfill({ contentType: 'text/html; charset=utf-8', body: `<!doctype html><html lang="fr"><title>Webmail</title><a href="${href}">Télécharger</a></html>` }));
  await page.goto(webmail);
}

/** own drops the problems newPage records for the fake webmail, which is meant to be another origin. */
const own = (problems: string[]) => problems.filter((p) => !p.includes(webmail));

async function axe(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
}

test('a link clicked in webmail opens the link page, which downloads the document', async () => {
  const { page, problems, context } = await newPage(browser);
  // Each click is one request to the API; it is same-origin, or the API would answer 403
  // as in the next test.
  let calls = 0;
  page.on('request', (r) => {
    if (r.url().includes('/api/links/')) calls++;
  });
  await inWebmail(page, link);
  // The page loads, asks the API, then opens the file: three round trips before the download.
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByRole('link', { name: 'Télécharger' }).click()]);
  assert.equal(download.suggestedFilename(), 'FL-001.pdf');
  assert.equal(sha256(await readFile((await download.path())!)), doc.sha256);
  await page.getByRole('status').filter({ hasText: 'Le téléchargement du document a commencé' }).waitFor();
  assert.equal(calls, 1, 'the page asks the API once');
  assert.ok(!page.url().includes('token='), `the token stays in the address bar: ${page.url()}`);
  assert.deepEqual(await axe(page), []);
  // Another download from the page is another use, same-origin too.
  const [again] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByRole('button', { name: 'Télécharger à nouveau' }).click()]);
  assert.equal(again.suggestedFilename(), 'FL-001.pdf');
  assert.equal(calls, 2);
  assert.deepEqual(own(problems), []);
  await context.close();
});

test('the API refuses the link clicked straight from another site', async () => {
  const { page, problems, context } = await newPage(browser);
  const token = new URL(link).hash.replace('#token=', '');
  await inWebmail(page, portalURL(`/api/links/${token}`));
  const [res] = await Promise.all([page.waitForResponse((r) => r.url().includes('/api/links/')), page.getByRole('link').click()]);
  assert.equal(res.status(), 403);
  assert.equal(res.headers()['location'], undefined);
  assert.deepEqual(own(problems).filter((p) => !p.includes('403')), []);
  await context.close();
});

test('an expired or revoked link says so, in French and in English', async () => {
  const { page, problems, context } = await newPage(browser);
  await page.goto(portalURL(`/${space}/link#token=AAAAAAAAAAAAAAAAAAAAAA`));
  await page.getByRole('alert').filter({ hasText: 'Ce lien a expiré ou n\'est plus valable' }).waitFor();
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('alert').filter({ hasText: 'This link has expired or is no longer valid' }).waitFor();
  assert.ok(await page.getByRole('link', { name: 'Sign in to the portal' }).isVisible());
  // The tab keeps the last token for a reload: a new tab opens the bare page.
  await page.evaluate(() => sessionStorage.clear());
  await page.goto(portalURL(`/${space}/link`));
  await page.getByRole('alert').filter({ hasText: 'This link is incomplete' }).waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test('a link used too often in the hour says so', async () => {
  const token = new URL(link).hash.replace('#token=', '');
  // Spend the rest of the hour's 20 uses as a direct navigation would.
  for (let i = 0; i < 20; i++) {
    const res = await fetch(portalURL(`/api/links/${token}`), { redirect: 'manual' });
    if (res.status === 429) break;
    assert.equal(res.status, 302);
  }
  const { page, problems, context } = await newPage(browser);
  await page.goto(link);
  await page.getByRole('alert').filter({ hasText: 'utilisé trop de fois en une heure' }).waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

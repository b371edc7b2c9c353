// The documents page tells a customer's admin, in French and in English, that
// mail to the registered address bounces and what to do (PRODUCT.md §5), in a
// labelled region that axe finds no fault with; a later delivery to that
// address lifts the notice.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser } from 'playwright-core';
import { activate, applyReferential, applySpace, drop, launch, mailEvent, newPage, signIn } from './lib.ts';

const space = 'courriels';
const admin = { email: 'martin@courriels.example', password: 'Boite-pleine-2026' };
let browser: Browser;

before(async () => {
  browser = await launch();
  await applySpace({ id: space, name: 'Courriels Test', since: '2024-01-01' });
  await applyReferential(space, 'customers.csv', [{ number: 'M1', company: 'Maison Martin', email: admin.email, notification: 'link' }]);
  await drop({ space, customer: 'M1', number: 'FM-001', daysAgo: 3 });
  await activate(admin.email, admin.password);
});

after(async () => {
  await browser?.close();
});

test('an admin is told that mail to the registered address bounces, until a delivery', async () => {
  const { page, problems, context } = await newPage(browser);
  await signIn(page, space, admin.email, admin.password);
  const fr = page.getByRole('region', { name: 'Nos e-mails ne parviennent plus à votre société' });
  assert.equal(await fr.count(), 0, 'a notice before any bounce');

  await mailEvent({ space, customer: 'M1', to: admin.email, kind: 'bounce', subType: 'MailboxFull' });
  await page.reload();
  await fr.waitFor();
  assert.match(await fr.innerText(), /messagerie pleine/);
  assert.match(await fr.innerText(), /conseiller clientèle/);
  const result = await new AxeBuilder({ page }).include('.mail-status').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  assert.deepEqual(result.violations.map((v) => v.id), []);

  await page.getByRole('button', { name: 'English' }).click();
  const en = page.getByRole('region', { name: 'Our e-mails no longer reach your company' });
  await en.waitFor();
  assert.match(await en.innerText(), /mailbox is full/);

  // The address is wrong rather than full: the advice changes.
  await mailEvent({ space, customer: 'M1', to: admin.email, kind: 'bounce', subType: 'NoEmail' });
  await page.reload();
  await en.waitFor();
  assert.match(await en.innerText(), /register your new e-mail address/);

  // A recovery mail (no single company) delivered to the address lifts the notice.
  await mailEvent({ space, customer: '', to: admin.email, kind: 'delivery' });
  await page.reload();
  await page.locator('main h1').waitFor();
  assert.equal(await en.count(), 0, 'the notice stayed after a delivery');
  assert.deepEqual(problems, []);
  await context.close();
});

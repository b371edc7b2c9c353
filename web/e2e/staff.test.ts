// The supplier console in the browser (PRODUCT.md §11), against the local
// stack: a supervisor created as ops do sets a password from the one-time
// link, signs in with a TOTP code, finds a customer by number, sees the
// bounce SES reported, resends the activation mail, which arrives; the
// customer's admin then finds that action in the company's log as the
// supplier's customer service. Then the supervisor views, idle expiry, an
// advisor's limits, sign-out, and axe on every view.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { applyReferential, applySpace, control, drop, launch, linkIn, mailEvent, newPage, overflowX, portalURL, signIn, waitMail, type Mail } from './lib.ts';
import { Authenticator } from './totp.ts';

const space = 'console';
const spaceName = 'Console Énergie';
const customer = { number: 'K2001', company: 'Menuiserie Gauthier', email: 'gauthier@console.example' };
const supervisor = { identifier: 'sophie.sup', password: 'Conseil-Client-2026!' };
const advisor = { identifier: 'marc.conseil', password: 'Conseiller-Marc-2026!' };
let browser: Browser;
let firstActivation: Mail;

interface Enrolment {
  link: string;
  secret: string;
}

before(async () => {
  browser = await launch();
  await applySpace({ id: space, name: spaceName, since: '2024-01-01' });
  await applyReferential(space, 'customers.csv', [
    customer,
    { number: 'K2002', company: 'Menuiserie Ouest', email: 'ouest@console.example' },
    { number: 'L3001', company: 'Boulangerie du Port', email: 'port@console.example' },
  ]);
  await drop({ space, customer: customer.number, number: 'FK-2026-001', daysAgo: 3 });
  firstActivation = await waitMail(customer.email, (m) => /#token=/.test(m.text));
});

after(async () => {
  await browser?.close();
});

async function axe(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
}

async function staffSignIn(page: Page, identifier: string, password: string, auth: Authenticator): Promise<void> {
  await page.locator('input[name=identifier]').fill(identifier);
  await page.locator('input[name=password]').fill(password);
  const code = page.locator('input[name=code]');
  assert.equal(await code.getAttribute('autocomplete'), 'one-time-code');
  assert.equal(await code.getAttribute('inputmode'), 'numeric');
  await code.fill(auth.code());
  await page.locator('form button[type=submit]').click();
}

/** tokenStatus asks the API about a customer's set-password token, as the customers' page does. */
async function tokenStatus(link: string): Promise<number> {
  const token = new URL(link).hash.replace('#token=', '');
  const res = await fetch(portalURL('/api/auth/recovery/inspect'), {
    method: 'POST', headers: { 'Content-Type': 'application/json', Origin: portalURL('') }, body: JSON.stringify({ token }),
  });
  return res.status;
}

describe('supplier console', () => {
  let desk: Awaited<ReturnType<typeof newPage>>;
  let auth: Authenticator;

  before(async () => {
    desk = await newPage(browser);
  });
  after(async () => {
    await desk?.context.close();
  });

  test('a supervisor sets a password from the one-time link, then signs in with the TOTP code', async () => {
    const { page } = desk;
    const e = await control<Enrolment>('POST', '/staff', { space, identifier: supervisor.identifier, role: 'supervisor' });
    auth = new Authenticator(e.secret);
    await page.goto(e.link);
    await page.locator('input[name=password]').waitFor();
    // The token leaves the address bar at once.
    assert.doesNotMatch(page.url(), /token=/);
    assert.equal(await page.locator('dd.identifier').textContent(), supervisor.identifier);
    assert.deepEqual(await axe(page), []);
    await page.locator('input[name=password]').fill(supervisor.password);
    await page.locator('input[name=confirmation]').fill(supervisor.password + 'x');
    await page.locator('form button[type=submit]').click();
    await page.locator('[aria-invalid=true]').first().waitFor();
    await page.locator('input[name=confirmation]').fill(supervisor.password);
    await page.locator('form button[type=submit]').click();
    await page.waitForURL(/\/console\/staff\/\?reason=password-set/);
    await page.getByText('Votre mot de passe est enregistré').waitFor();
    assert.equal(await page.locator('input[name=identifier]').inputValue(), supervisor.identifier);
    assert.deepEqual(await axe(page), []);

    // A wrong code is refused like a wrong password, and empties both.
    await page.locator('input[name=password]').fill(supervisor.password);
    await page.locator('input[name=code]').fill('12345');
    await page.locator('form button[type=submit]').click();
    await page.getByText('Saisissez les 6 chiffres du code').waitFor();
    await staffSignIn(page, supervisor.identifier, supervisor.password, auth);
    await page.waitForURL(/\/console\/staff\/customers/);
    await page.getByRole('heading', { level: 1, name: 'Rechercher un client' }).waitFor();
    await page.getByText('sophie.sup — Superviseur').waitFor();
  });

  test('finds the customer by number and sees the bounce SES reported', async () => {
    const { page } = desk;
    await page.getByLabel('Numéro client, SIREN, adresse mail ou début du nom de la société').fill('k20');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.locator('table.customers tbody tr').first().waitFor();
    const numbers = await page.locator('table.customers tbody th').allTextContents();
    assert.deepEqual(numbers.sort(), ['K2001', 'K2002']);
    assert.match(page.url(), /\?q=k20$/);
    assert.deepEqual(await axe(page), []);

    await mailEvent({ space, customer: customer.number, to: customer.email, kind: 'bounce', subType: 'MailboxFull' });
    await page.getByRole('link', { name: customer.number }).click();
    await page.waitForURL(/\/console\/staff\/customer\?number=K2001/);
    await page.getByRole('heading', { level: 1, name: `${customer.company} — client n° ${customer.number}` }).waitFor();
    await page.locator('.badge.mail-bounced', { hasText: 'Rejeté : boîte pleine' }).waitFor();
    assert.match(await page.locator('.mail-status .since').textContent() ?? '', /depuis le \d\d\/\d\d\/\d{4}/);
    // The registered admin has not chosen a password yet: the activation link's expiry shows.
    await page.locator('table.accounts', { hasText: customer.email }).getByText('En attente d\'activation').waitFor();
    await page.locator('table.mails tbody tr', { hasText: 'Activation' }).first().waitFor();
    // The documents are listed as the customer sees them, without any download link.
    await page.locator('table.staff-documents tbody th', { hasText: 'FK-2026-001' }).waitFor();
    assert.equal(await page.locator('a[href*="/download"]').count(), 0);
    assert.deepEqual(await axe(page), []);
  });

  test('resends the activation after a confirmation; the mail arrives and voids the older link', async () => {
    const { page } = desk;
    const before = (await control<Mail[]>('GET', '/mails')).length;
    const resend = page.getByRole('button', { name: 'Renvoyer le mail d\'activation' });
    // Cancelling sends nothing.
    await resend.click();
    await page.locator('dialog[open]').waitFor();
    assert.deepEqual(await axe(page), []);
    await page.keyboard.press('Escape');
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-action')), 'resend-activation');
    await resend.click();
    await page.locator('dialog[open] [data-action=confirm]').click();
    await page.locator('.message.success', { hasText: `Mail d'activation envoyé à ${customer.email}` }).waitFor();
    const mail = await waitMail(customer.email, (m) => /#token=/.test(m.text) && m.text !== firstActivation.text);
    assert.ok((await control<Mail[]>('GET', '/mails')).length > before);
    const link = linkIn(mail, '#token=');
    assert.notEqual(link, linkIn(firstActivation, '#token='));
    assert.equal(await tokenStatus(linkIn(firstActivation, '#token=')), 410);
    assert.equal(await tokenStatus(link), 200);

    // The customer uses the new link, signs in, and finds the action in the company's log.
    const cust = await newPage(browser);
    try {
      await cust.page.goto(link);
      await cust.page.locator('input[name=password]').fill('Menuiserie-Bois-77');
      await cust.page.locator('input[name=confirmation]').fill('Menuiserie-Bois-77');
      await cust.page.locator('form button[type=submit]').click();
      await cust.page.waitForURL(/reason=password-set/);
      await cust.page.locator('input[name=password]').fill('Menuiserie-Bois-77');
      await cust.page.locator('form button[type=submit]').click();
      await cust.page.waitForURL(/\/documents/);
      await cust.page.goto(portalURL(`/${space}/admin`));
      const row = cust.page.locator('table.audit tbody tr', { hasText: 'Nouveau mail d\'activation envoyé' }).first();
      await row.waitFor();
      // The actor is the supplier's customer service, never the staff member's name.
      assert.equal(await row.locator('td').nth(1).textContent(), `Service client ${spaceName}`);
      assert.doesNotMatch(await cust.page.locator('table.audit').textContent() ?? '', /sophie\.sup/);
      assert.deepEqual(cust.problems, []);
    } finally {
      await cust.context.close();
    }
  });

  test('supervisor views: rejections and the staff log', async () => {
    const { page } = desk;
    await page.getByRole('link', { name: 'Journal du personnel' }).click();
    await page.waitForURL(/\/console\/staff\/audit$/);
    await page.locator('table.staff-audit tbody tr', { hasText: 'Mail d\'activation renvoyé' }).first().waitFor();
    assert.deepEqual(await axe(page), []);
    await page.getByRole('link', { name: 'Rejets et rapports' }).click();
    await page.waitForURL(/\/console\/staff\/rejections$/);
    await page.locator('table.rejections tbody tr').first().waitFor();
    assert.deepEqual(await axe(page), []);
  });

  test('a lost session goes back to sign-in with a message, then to the view it left', async () => {
    const { page, context } = desk;
    await page.goto(portalURL(`/${space}/staff/customer?number=${customer.number}`));
    await page.locator('.badge.mail-bounced').waitFor();
    // The session ends server-side as at its idle limit: the cookie no longer opens anything.
    const cookies = await context.cookies();
    assert.ok(cookies.some((c) => /staff/i.test(c.name)), cookies.map((c) => c.name).join(', '));
    await context.clearCookies();
    await page.getByRole('link', { name: 'Clients' }).click();
    await page.waitForURL(/\/console\/staff\/\?reason=expired/);
    await page.getByText('Votre session a expiré').waitFor();
    await staffSignIn(page, supervisor.identifier, supervisor.password, auth);
    await page.waitForURL(/\/console\/staff\/customers$/);
  });

  test('clears the mail block once the customer says the mailbox works; the customer\'s log shows it', async () => {
    const { page } = desk;
    await page.goto(portalURL(`/${space}/staff/customer?number=${customer.number}`));
    await page.locator('.badge.mail-bounced').waitFor();
    const clear = page.getByRole('button', { name: 'Lever le blocage des mails' });
    await clear.click();
    await page.locator('dialog[open]', { hasText: customer.email }).waitFor();
    assert.deepEqual(await axe(page), []);
    await page.locator('dialog[open] [data-action=confirm]').click();
    await page.locator('.message.success', { hasText: `Blocage levé : les prochains documents seront de nouveau notifiés à ${customer.email}` }).waitFor();
    await page.locator('.badge.mail-ok').waitFor();
    assert.equal(await page.locator('.badge.mail-bounced').count(), 0);
    assert.equal(await clear.count(), 0);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'ref-title');
    assert.deepEqual(await axe(page), []);

    const cust = await newPage(browser);
    try {
      await signIn(cust.page, space, customer.email, 'Menuiserie-Bois-77');
      await cust.page.goto(portalURL(`/${space}/admin`));
      const row = cust.page.locator('table.audit tbody tr', { hasText: 'Envoi des mails rétabli vers l\'adresse enregistrée' }).first();
      await row.waitFor();
      assert.equal(await row.locator('td').nth(1).textContent(), `Service client ${spaceName}`);
      // The admin's documents page no longer says that mail bounces.
      await cust.page.goto(portalURL(`/${space}/documents`));
      await cust.page.locator('main h1').waitFor();
      assert.equal(await cust.page.locator('section.mail-status').count(), 0);
      assert.deepEqual(cust.problems, []);
    } finally {
      await cust.context.close();
    }
  });

  test('signing out ends the staff session', async () => {
    const { page } = desk;
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(/reason=logout/);
    await page.getByText('Vous êtes déconnecté').waitFor();
    const me = await page.evaluate(async () => (await fetch('/api/staff/me')).status);
    assert.equal(me, 401);
    assert.deepEqual(desk.problems, []);
  });
});

test('an advisor sees no supervisor views, and is refused them', async () => {
  const { page, context, problems } = await newPage(browser, { width: 375, height: 740 });
  try {
    const e = await control<Enrolment>('POST', '/staff', { space, identifier: advisor.identifier, role: 'advisor' });
    await page.goto(e.link);
    await page.locator('input[name=password]').fill(advisor.password);
    await page.locator('input[name=confirmation]').fill(advisor.password);
    await page.locator('form button[type=submit]').click();
    await page.waitForURL(/reason=password-set/);
    await staffSignIn(page, advisor.identifier, advisor.password, new Authenticator(e.secret));
    await page.waitForURL(/\/console\/staff\/customers/);
    assert.equal(await page.getByRole('link', { name: 'Journal du personnel' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Rejets et rapports' }).count(), 0);
    await page.goto(portalURL(`/${space}/staff/audit`));
    await page.getByText('Cette vue est réservée aux superviseurs.').waitFor();
    assert.deepEqual(await axe(page), []);
    assert.equal(await overflowX(page), 0);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

describe('console views in English and on a phone: axe and no sideways scroll', () => {
  test('every view', async () => {
    const { page, context, problems } = await newPage(browser, { width: 375, height: 740 });
    try {
      const e = await control<Enrolment>('POST', '/staff', { space, identifier: 'alex.phone', role: 'supervisor' });
      await page.goto(portalURL(`/${space}/staff/`));
      await page.evaluate(() => localStorage.setItem('efacture.lang', 'en'));
      await page.goto(e.link);
      await page.getByRole('heading', { level: 1, name: 'Choose your password' }).waitFor();
      assert.deepEqual(await axe(page), []);
      assert.equal(await overflowX(page), 0);
      await page.locator('input[name=password]').fill('Phone-Supervisor-2026!');
      await page.locator('input[name=confirmation]').fill('Phone-Supervisor-2026!');
      await page.locator('form button[type=submit]').click();
      await page.waitForURL(/reason=password-set/);
      assert.deepEqual(await axe(page), []);
      assert.equal(await overflowX(page), 0);
      await staffSignIn(page, 'alex.phone', 'Phone-Supervisor-2026!', new Authenticator(e.secret));
      await page.waitForURL(/\/staff\/customers/);
      const views: [string, (p: Page) => Promise<void>][] = [
        [`/${space}/staff/customers?q=Menuiserie`, (p) => p.locator('table.customers tbody tr').first().waitFor()],
        [`/${space}/staff/customer?number=${customer.number}`, (p) => p.locator('table.staff-documents tbody tr').first().waitFor()],
        [`/${space}/staff/rejections`, (p) => p.locator('table.rejections, .empty').first().waitFor()],
        [`/${space}/staff/audit`, (p) => p.locator('table.staff-audit tbody tr').first().waitFor()],
      ];
      for (const [path, ready] of views) {
        await page.goto(portalURL(path));
        await ready(page);
        assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
        assert.deepEqual(await axe(page), [], path);
        assert.equal(await overflowX(page), 0, `${path} scrolls sideways at 375 px`);
      }
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});

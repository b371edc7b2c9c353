// The FAQ's story, end to end in a real browser (issue acceptance): a
// document dropped into the inbox, the activation mail, its link, a password
// set, sign-in, the document listed and downloaded byte for byte, the
// previous sign-in shown next time, an admin adding a user who sees the same
// documents and no administration, and sign-out.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { applyReferential, applySpace, drop, launch, linkIn, newPage, portalURL, sha256, waitMail } from './lib.ts';
import { median, record } from './metrics.ts';

const space = 'histoire';
const admin = { email: 'claire.martin@histoire.example', password: 'Croissant-chaud-42' };
let browser: Browser;

before(async () => {
  browser = await launch();
  await applySpace({ id: space, name: 'Acme Location Démo', since: '2024-01-15', profiles: ['Aucun', 'Comptabilité', 'Direction'] });
  await applyReferential(space, 'customers.csv', [{ number: 'C1001', company: 'Boulangerie Dupré SARL', email: admin.email, notification: 'link' }]);
});

after(async () => {
  await browser?.close();
});

test('FAQ story: from a dropped PDF to a colleague signing in', async (t) => {
  const { page, problems, context } = await newPage(browser);
  const dropped = await drop({ space, customer: 'C1001', number: 'FA2026-0412', daysAgo: 3 });

  let link = '';
  await t.test('the activation mail arrives with a set-password link', async () => {
    const mail = await waitMail(admin.email, (m) => m.text.includes('#token='));
    assert.match(mail.subject, /Activation/);
    link = linkIn(mail, '#token=');
    assert.ok(link.startsWith(portalURL(`/${space}/password#token=`)), `got link ${link}`);
  });

  await t.test('the link shows the company and identifier, refuses a weak password, then sets it', async () => {
    await page.goto(link);
    await page.getByText('Boulangerie Dupré SARL').waitFor();
    assert.equal(await page.locator('dd.identifier').textContent(), admin.email);
    assert.ok(!page.url().includes('token='), `the token stays in the address bar: ${page.url()}`);

    await page.getByLabel('Votre mot de passe').fill('court');
    await page.getByLabel('Confirmation', { exact: true }).fill('court');
    await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
    const err = page.locator('.field-error:visible');
    await err.first().waitFor();
    const text = (await err.first().textContent()) ?? '';
    assert.match(text, /ne respecte pas ces règles/);
    assert.match(text, /au moins 8 caractères/);
    assert.equal(await page.getByLabel('Votre mot de passe').getAttribute('aria-invalid'), 'true');

    await page.getByLabel('Votre mot de passe').fill(admin.password);
    await page.getByLabel('Confirmation', { exact: true }).fill(admin.password);
    await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
    await page.waitForURL(/\/histoire\/\?reason=password-set/);
    await page.getByText('Votre mot de passe est enregistré').waitFor();
  });

  await t.test('sign-in lands on the documents, with the dropped invoice listed as new', async () => {
    assert.equal(await page.getByLabel('Identifiant', { exact: true }).inputValue(), admin.email);
    await page.getByLabel('Mot de passe', { exact: true }).fill(admin.password);
    await page.getByRole('button', { name: 'Connexion' }).click();
    await page.waitForURL(/\/histoire\/documents$/);
    const row = page.locator('tbody tr', { hasText: 'FA2026-0412' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /Nouveau/);
    assert.match((await row.textContent()) ?? '', /Facture/);
    const amount = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(Number(dropped.amount));
    assert.equal((await row.locator('td.num').textContent())?.replace(/\s/g, ' '), amount.replace(/\s/g, ' '));
    await page.getByText('Première connexion').waitFor();
  });

  await t.test('the downloaded file is the dropped PDF, byte for byte', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Télécharger Facture FA2026-0412 (PDF)' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'FA2026-0412.pdf');
    const bytes = await readFile((await download.path())!);
    assert.equal(sha256(bytes), dropped.sha256);
    await page.locator('tbody tr', { hasText: 'FA2026-0412' }).locator('.badge.new').waitFor({ state: 'detached' });
  });

  await t.test('the documents table shows quickly after navigation', async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      await page.goto(portalURL(`/${space}/documents`));
      await page.locator('tbody tr').first().waitFor();
      times.push(await page.evaluate(() => performance.getEntriesByName('efacture:documents-table')[0]?.startTime ?? NaN));
    }
    assert.ok(times.every(Number.isFinite), `marks: ${times}`);
    record('navigation to documents table (median of 5, ms)', median(times).toFixed(0));
    record('navigation to documents table (all, ms)', times.map((x) => x.toFixed(0)).join(', '));
  });

  await t.test('the next sign-in shows the previous one', async () => {
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(/reason=logout/);
    await page.getByLabel('Identifiant', { exact: true }).fill(admin.email);
    await page.getByLabel('Mot de passe', { exact: true }).fill(admin.password);
    await page.getByRole('button', { name: 'Connexion' }).click();
    await page.waitForURL(/\/documents$/);
    const last = (await page.locator('.last-login').textContent()) ?? '';
    assert.match(last, /^Votre dernière connexion : \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/);
  });

  const colleague = { identifier: 'paul.compta', password: 'Baguette-tradition-7' }; // its password changes below
  await t.test('the admin adds a user', async () => {
    await page.getByRole('link', { name: 'Administration' }).click();
    await page.waitForURL(/\/admin$/);
    await page.getByRole('button', { name: 'Ajouter un utilisateur' }).click();
    const dialog = page.getByRole('dialog', { name: 'Ajouter un utilisateur' });
    await dialog.getByLabel('Identifiant', { exact: true }).fill(colleague.identifier);
    await dialog.getByLabel('Mot de passe', { exact: true }).fill(colleague.password);
    await dialog.getByLabel('Mot de passe (confirmation)').fill(colleague.password);
    await dialog.getByLabel(/^Nom/).fill('Lefèvre');
    await dialog.getByLabel(/^Prénom/).fill('Paul');
    await dialog.getByLabel(/^Adresse mail/).fill('paul@histoire.example');
    await dialog.getByLabel('Profil').selectOption('Comptabilité');
    await dialog.getByRole('button', { name: 'Créer l\'utilisateur' }).click();
    await page.getByText(`Utilisateur ${colleague.identifier} créé.`).first().waitFor();
    const row = page.locator('table.users tbody tr', { hasText: colleague.identifier });
    assert.match((await row.textContent()) ?? '', /Paul Lefèvre/);
    assert.match((await row.textContent()) ?? '', /Comptabilité/);
    // The audit log records the creation.
    await page.locator('table.audit', { hasText: 'Utilisateur créé' }).waitFor();
  });

  await t.test('an address is refused as an identifier, with the reason under the field', async () => {
    await page.getByRole('button', { name: 'Ajouter un utilisateur' }).click();
    const dialog = page.getByRole('dialog', { name: 'Ajouter un utilisateur' });
    await dialog.getByLabel('Identifiant', { exact: true }).fill('paul@histoire.example');
    await dialog.getByLabel('Mot de passe', { exact: true }).fill(colleague.password);
    await dialog.getByLabel('Mot de passe (confirmation)').fill(colleague.password);
    await dialog.getByRole('button', { name: 'Créer l\'utilisateur' }).click();
    const field = dialog.getByLabel('Identifiant', { exact: true });
    await dialog.getByText('ne peut pas contenir « @ »').waitFor();
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    // The message is the field's own description, as a screen reader reads it.
    const errId = ((await field.getAttribute('aria-describedby')) ?? '').split(' ')[0];
    assert.match((await dialog.locator(`[id="${errId}"]`).textContent()) ?? '', /« @ »/);
    await dialog.getByRole('button', { name: 'Annuler' }).click();
  });

  await t.test('the admin sets the user\'s password with its own', async () => {
    // Not its own password, nor the registered admin's: those change in My profile.
    const mine = page.locator('table.users tbody tr', { hasText: admin.email });
    assert.equal(await mine.getByRole('button', { name: /^Définir un nouveau mot de passe/ }).count(), 0);
    await page.getByRole('button', { name: `Définir un nouveau mot de passe pour ${colleague.identifier}` }).click();
    const dialog = page.getByRole('dialog', { name: `Nouveau mot de passe pour ${colleague.identifier}` });
    colleague.password = 'Pain-de-campagne-8';
    await dialog.getByLabel('Mot de passe', { exact: true }).fill(colleague.password);
    await dialog.getByLabel('Mot de passe (confirmation)').fill(colleague.password);
    const own = dialog.getByLabel('Votre mot de passe', { exact: true });
    assert.equal(await own.getAttribute('autocomplete'), 'current-password');
    await own.fill('Pas-le-bon-mot-9');
    await dialog.getByRole('button', { name: 'Enregistrer' }).click();
    await dialog.getByText('Le mot de passe actuel est incorrect.').waitFor();
    assert.equal(await own.getAttribute('aria-invalid'), 'true');
    await own.fill(admin.password);
    await dialog.getByRole('button', { name: 'Enregistrer' }).click();
    await page.getByText(`Nouveau mot de passe enregistré pour ${colleague.identifier}.`).first().waitFor();
  });

  await t.test('the new user sees the same documents and no administration', async () => {
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(/reason=logout/);
    await page.getByLabel('Identifiant', { exact: true }).fill(colleague.identifier);
    await page.getByLabel('Mot de passe', { exact: true }).fill(colleague.password);
    await page.getByRole('button', { name: 'Connexion' }).click();
    await page.waitForURL(/\/documents$/);
    await page.locator('tbody tr', { hasText: 'FA2026-0412' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Administration' }).count(), 0);
    await page.goto(portalURL(`/${space}/admin`));
    await page.getByText('Cette page est réservée aux administrateurs de votre société.').waitFor();
    assert.equal(await page.locator('table.users').count(), 0);
  });

  await t.test('sign-out ends the session', async () => {
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(/reason=logout/);
    await page.getByText('Vous êtes déconnecté.').waitFor();
    await page.goto(portalURL(`/${space}/documents`));
    await page.waitForURL(/reason=signin/);
    const cookies = await context.cookies();
    assert.equal(cookies.filter((c) => c.name === '__Host-efacture_session').length, 0);
  });

  assert.deepEqual(problems, []);
  await context.close();
});

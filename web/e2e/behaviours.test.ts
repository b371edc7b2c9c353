// What people expect of the portal beyond the happy path: error messages
// (wrong password, password policy, unknown address), the language choice
// kept, keyboard-only use, a lost session that comes back to its page, no
// double submit, filters, number search, pagination, badges, exports with
// progress, and the session's own space.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { activate, applyReferential, applySpace, drop, launch, linkIn, newPage, portalURL, sha256, signIn, waitMail, type Dropped } from './lib.ts';

const space = 'comportements';
const reveal = 'revele';
const anne = { email: 'anne@comportements.example', password: 'Facture-du-mois-1' };
const bob = { email: 'bob@comportements.example', password: 'Papier-recycle-22' };
let browser: Browser;
const docs: Record<string, Dropped> = {};

before(async () => {
  browser = await launch();
  await applySpace({ id: space, name: 'Énergie Test', since: '2024-01-01', brand: { color: '#f2c200' } });
  await applySpace({ id: reveal, name: 'Espace Révélé', since: '2024-01-01', revealUnknownAccounts: true });
  await applyReferential(space, 'customers.csv', [
    { number: 'C1', company: 'Atelier Anne SARL', email: anne.email },
    { number: 'C2', company: 'Bureau Bob SAS', email: bob.email, delivery: 'paper' },
  ]);
  await applyReferential(reveal, 'customers.csv', [
    { number: 'R1', company: 'Première Société', email: 'multi@revele.example' },
    { number: 'R2', company: 'Seconde Société', email: 'multi@revele.example' },
  ]);
  for (const [number, daysAgo] of [['FA-001', 40], ['FA-002', 30], ['FA-003', 20], ['FA-004', 10], ['FA-005', 2], ['FA-OLD', 120]] as const) {
    docs[number] = await drop({ space, customer: 'C1', number, daysAgo });
  }
  docs['AV-001'] = await drop({ space, customer: 'C1', number: 'AV-001', type: 'credit_note', daysAgo: 5, copy: true });
  docs['FB-001'] = await drop({ space, customer: 'C2', number: 'FB-001', daysAgo: 4 });
  await drop({ space: reveal, customer: 'R1', number: 'R-001', daysAgo: 1 });
  await drop({ space: reveal, customer: 'R2', number: 'R-002', daysAgo: 1 });
  await activate(anne.email, anne.password);
  await activate(bob.email, bob.password);
});

after(async () => {
  await browser?.close();
});

async function fresh(): Promise<{ page: Page; problems: string[]; close: () => Promise<void> }> {
  const { page, problems, context } = await newPage(browser);
  return { page, problems, close: () => context.close() };
}

describe('sign-in', () => {
  test('a wrong password says so, empties the field, and stays on the page', async () => {
    const { page, problems, close } = await fresh();
    await page.goto(portalURL(`/${space}/`));
    await page.getByLabel('Identifiant', { exact: true }).fill(anne.email);
    await page.getByLabel('Mot de passe', { exact: true }).fill('Pas-le-bon-1');
    await page.getByRole('button', { name: 'Connexion' }).click();
    const alert = page.getByRole('alert');
    await alert.getByText('Identifiant ou mot de passe incorrect.').waitFor();
    assert.equal(await page.getByLabel('Mot de passe', { exact: true }).inputValue(), '');
    assert.match(page.url(), /\/comportements\/$/);
    assert.deepEqual(problems, []);
    await close();
  });

  test('double submit sends one sign-in request', async () => {
    const { page, close } = await fresh();
    let logins = 0;
    page.on('request', (r) => {
      if (r.url().endsWith('/api/auth/login')) logins++;
    });
    await page.goto(portalURL(`/${space}/`));
    await page.getByLabel('Identifiant', { exact: true }).fill(anne.email);
    await page.getByLabel('Mot de passe', { exact: true }).fill(anne.password);
    // Three submissions in the same instant: two clicks and Enter's implicit submission.
    await page.evaluate(() => {
      const form = document.querySelector('form')!;
      const submit = form.querySelector<HTMLButtonElement>('button[type=submit]')!;
      submit.click();
      submit.click();
      form.requestSubmit();
    });
    await page.waitForURL(/\/documents$/);
    assert.equal(logins, 1);
    await close();
  });

  test('keyboard only: sign in and download a document', async () => {
    const { page, problems, close } = await fresh();
    await page.goto(portalURL(`/${space}/`));
    // The identifier field has focus on arrival.
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'identifier');
    await page.keyboard.type(anne.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(anne.password);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/documents$/);
    await page.locator('tbody tr').first().waitFor();
    let found = false;
    for (let i = 0; i < 80 && !found; i++) {
      await page.keyboard.press('Tab');
      found = await page.evaluate(() => document.activeElement?.classList.contains('download') ?? false);
    }
    assert.ok(found, 'no download link reached with Tab');
    const label = await page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
    const number = /(\S+) \(PDF\)$/.exec(label ?? '')?.[1] ?? '';
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    assert.equal(download.suggestedFilename(), `${number}.pdf`);
    assert.equal(sha256(await readFile((await download.path())!)), docs[number].sha256);
    assert.deepEqual(problems, []);
    await close();
  });

  test('a lost session goes to sign-in with a message, then back to the page', async () => {
    const { page, close } = await fresh();
    await signIn(page, space, anne.email, anne.password);
    await page.goto(portalURL(`/${space}/documents?type=invoice`));
    await page.locator('tbody tr').first().waitFor();
    await page.context().clearCookies();
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.waitForURL(/reason=expired/);
    await page.getByText('Votre session a expiré. Veuillez vous reconnecter.').waitFor();
    await page.getByLabel('Identifiant', { exact: true }).fill(anne.email);
    await page.getByLabel('Mot de passe', { exact: true }).fill(anne.password);
    await page.getByRole('button', { name: 'Connexion' }).click();
    await page.waitForURL(/\/comportements\/documents\?type=invoice$/);
    assert.equal(await page.getByLabel('Type').inputValue(), 'invoice');
    await close();
  });

  test('a page of another space goes to the session\'s space', async () => {
    const { page, close } = await fresh();
    await signIn(page, space, anne.email, anne.password);
    await page.goto(portalURL(`/${reveal}/profile`));
    await page.waitForURL(/\/comportements\/profile$/);
    await page.getByText('Atelier Anne SARL').first().waitFor();
    await close();
  });
});

describe('recovery', () => {
  test('an unknown address gets the neutral answer where the space does not reveal', async () => {
    const { page, close } = await fresh();
    await page.goto(portalURL(`/${space}/forgot`));
    await page.getByLabel('Adresse mail').fill('personne@inconnu.example');
    await page.getByRole('button', { name: 'Envoyer' }).click();
    await page.getByText('Si cette adresse correspond à un compte').waitFor();
    await close();
  });

  test('a slow answer shows progress, and a second submit waits for the first', async () => {
    const { page, close } = await fresh();
    let calls = 0;
    await page.route('**/api/auth/recovery', async (route) => {
      calls++;
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await page.goto(portalURL(`/${space}/forgot`));
    await page.getByLabel('Adresse mail').fill('lent@inconnu.example');
    const send = page.getByRole('button', { name: 'Envoyer' });
    await send.click();
    await page.getByText('Veuillez patienter…').waitFor();
    assert.equal(await send.getAttribute('aria-disabled'), 'true');
    // force: Playwright itself would wait for an aria-disabled button.
    await send.click({ force: true });
    await page.getByText('Si cette adresse correspond à un compte').waitFor();
    assert.equal(await page.getByText('Veuillez patienter…').count(), 0);
    assert.equal(calls, 1);
    await close();
  });

  test('an unknown address is told where the space reveals, on the field', async () => {
    const { page, close } = await fresh();
    await page.goto(portalURL(`/${reveal}/forgot`));
    const email = page.getByLabel('Adresse mail');
    await email.fill('personne@inconnu.example');
    await page.getByRole('button', { name: 'Envoyer' }).click();
    await page.getByText('Aucun compte trouvé pour personne@inconnu.example').waitFor();
    assert.equal(await email.getAttribute('aria-invalid'), 'true');
    await close();
  });

  test('a known address gets the mail, whose link lets one choose among its accounts', async () => {
    const { page, close } = await fresh();
    await page.goto(portalURL(`/${reveal}/forgot`));
    await page.getByLabel('Adresse mail').fill('multi@revele.example');
    await page.getByRole('button', { name: 'Envoyer' }).click();
    await page.getByText('Un mail de récupération de votre identifiant ou mot de passe vous a été adressé.').waitFor();
    const mail = await waitMail('multi@revele.example', (m) => /récupération|identifiant/i.test(m.subject) && m.text.includes('#token='));
    await page.goto(linkIn(mail, '#token='));
    const group = page.getByRole('group', { name: 'Choisissez le compte dont vous définissez le mot de passe' });
    await group.waitFor();
    assert.equal(await group.getByRole('radio').count(), 2);
    await group.getByLabel(/Seconde Société/).check();
    await page.getByLabel('Votre mot de passe').fill('Deux-societes-12');
    await page.getByLabel('Confirmation', { exact: true }).fill('Deux-societes-13');
    await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
    await page.getByText('Les deux mots de passe saisis sont différents.').waitFor();
    await page.getByLabel('Confirmation', { exact: true }).fill('Deux-societes-12');
    await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
    await page.waitForURL(/reason=password-set/);
    const chosen = await page.getByLabel('Identifiant', { exact: true }).inputValue();
    await page.getByLabel('Mot de passe', { exact: true }).fill('Deux-societes-12');
    await page.getByRole('button', { name: 'Connexion' }).click();
    await page.waitForURL(/\/documents$/);
    await page.locator('tbody tr', { hasText: 'R-002' }).waitFor();
    assert.equal(await page.locator('tbody tr', { hasText: 'R-001' }).count(), 0, `signed in as ${chosen}, the other company's document shows`);
    await close();
  });
});

describe('documents', () => {
  let page: Page;
  let close: () => Promise<void>;
  before(async () => {
    ({ page, close } = await fresh());
    await signIn(page, space, anne.email, anne.password);
  });
  after(() => close());

  const numbers = async () => page.locator('tbody th.number').allTextContents();

  test('newest first over the default period, with badges', async () => {
    await page.goto(portalURL(`/${space}/documents`));
    await page.locator('tbody tr').first().waitFor();
    assert.deepEqual(await numbers(), ['FA-005', 'AV-001', 'FA-004', 'FA-003', 'FA-002', 'FA-001']);
    const credit = page.locator('tbody tr', { hasText: 'AV-001' });
    assert.match((await credit.textContent()) ?? '', /Avoir/);
    await credit.locator('.badge.copy', { hasText: 'Copie' }).waitFor();
    await page.getByText('Chaque document reste disponible jusqu\'à la date').waitFor();
  });

  test('a period search reaches older documents', async () => {
    const from = new Date(Date.now() - 200 * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('Émis à partir du').fill(from);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.locator('tbody tr', { hasText: 'FA-OLD' }).waitFor();
    assert.match(page.url(), new RegExp(`from=${from}`));
  });

  test('type and number filters', async () => {
    await page.goto(portalURL(`/${space}/documents?type=credit_note`));
    await page.locator('tbody tr').first().waitFor();
    assert.deepEqual(await numbers(), ['AV-001']);
    await page.getByRole('button', { name: 'Réinitialiser' }).click();
    await page.waitForURL(/\/documents$/);
    await page.getByLabel('Numéro', { exact: true }).fill('FA-00');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.getByRole('table', { name: 'Documents trouvés, par numéro décroissant' }).waitFor();
    assert.deepEqual(await numbers(), ['FA-005', 'FA-004', 'FA-003', 'FA-002', 'FA-001']);
    await page.getByLabel('Recherche du numéro').selectOption('exact');
    await page.getByLabel('Numéro', { exact: true }).fill('FA-003');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    assert.deepEqual(await numbers(), ['FA-003']);
    await page.getByLabel('Numéro', { exact: true }).fill('ZZZ');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.getByText('Aucun document ne correspond à ces critères.').waitFor();
  });

  test('cursor pagination forwards and back', async () => {
    await page.goto(portalURL(`/${space}/documents?limit=2`));
    await page.locator('tbody tr').first().waitFor();
    const seen: string[][] = [await numbers()];
    const next = page.getByRole('button', { name: 'Page suivante' });
    while (await next.isEnabled()) {
      await next.click();
      await page.getByText(`Page ${seen.length + 1}`, { exact: true }).waitFor();
      seen.push(await numbers());
    }
    assert.deepEqual(seen.flat(), ['FA-005', 'AV-001', 'FA-004', 'FA-003', 'FA-002', 'FA-001']);
    await page.getByRole('button', { name: 'Page précédente' }).click();
    await page.getByText(`Page ${seen.length - 1}`, { exact: true }).waitFor();
    assert.deepEqual(await numbers(), seen[seen.length - 2]);
  });

  test('a ZIP of a selection, with progress, and one request for a double click', async () => {
    await page.goto(portalURL(`/${space}/documents`));
    await page.locator('tbody tr').first().waitFor();
    let exports = 0;
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/exports')) exports++;
    });
    await page.getByRole('checkbox', { name: 'Sélectionner Facture FA-004' }).check();
    await page.getByRole('checkbox', { name: 'Sélectionner Facture FA-003' }).check();
    await page.getByText('2 documents sélectionnés').waitFor();
    // Progress may show only briefly: record every text the export status takes.
    await page.evaluate(() => {
      const el = document.querySelector('.export-status')!;
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, { childList: true, subtree: true, characterData: true });
    });
    const zip = page.getByRole('button', { name: 'Télécharger la sélection (ZIP)' });
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      (async () => {
        await zip.evaluate((b: HTMLButtonElement) => {
          b.click();
          b.click();
        });
      })(),
    ]);
    assert.match(download.suggestedFilename(), /\.zip$/);
    const bytes = await readFile((await download.path())!);
    assert.equal(bytes.subarray(0, 2).toString(), 'PK');
    assert.equal(exports, 1);
    await page.getByText('Votre fichier est prêt').waitFor();
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    assert.ok(seen.some((s) => s.includes('Préparation de votre fichier…')), `no progress shown: ${JSON.stringify(seen)}`);
  });

  test('the list as CSV', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      page.getByRole('button', { name: 'Exporter la liste (CSV)' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /\.csv$/);
    const csv = await readFile((await download.path())!, 'utf8');
    for (const n of ['FA-005', 'AV-001', 'FA-001']) assert.ok(csv.includes(n), `${n} missing from the CSV:\n${csv}`);
  });

  test('the select-all box selects the page', async () => {
    await page.getByLabel('Tout sélectionner sur cette page').check();
    await page.getByText('6 documents sélectionnés').waitFor();
    await page.getByLabel('Tout sélectionner sur cette page').uncheck();
    await page.getByText('0 document sélectionné').waitFor();
  });
});

test('a paper customer sees duplicates', async () => {
  const { page, close } = await fresh();
  await signIn(page, space, bob.email, bob.password);
  await page.locator('tbody tr', { hasText: 'FB-001' }).locator('.badge.duplicate', { hasText: 'Duplicata' }).waitFor();
  await close();
});

describe('profile', () => {
  test('password change: wrong current password, policy, mismatch, then success', async () => {
    const { page, problems, close } = await fresh();
    await signIn(page, space, bob.email, bob.password);
    await page.getByRole('link', { name: 'Mon profil' }).click();
    await page.waitForURL(/\/profile$/);
    const current = page.getByLabel('Mot de passe actuel');
    const next = page.getByLabel('Nouveau mot de passe', { exact: true });
    const confirm = page.getByLabel('Confirmation du nouveau mot de passe');
    const submit = page.getByRole('button', { name: 'Changer le mot de passe' });

    await current.fill(bob.password);
    await next.fill('motdepasse');
    await confirm.fill('motdepasse');
    await submit.click();
    const err = page.locator('.field-error:visible').first();
    await err.waitFor();
    const text = (await err.textContent()) ?? '';
    for (const rule of ['une lettre majuscule', 'un chiffre', 'un caractère spécial']) assert.ok(text.includes(rule), `"${rule}" missing from: ${text}`);
    assert.equal(await next.getAttribute('aria-invalid'), 'true');

    await next.fill('Nouveau-mot-2026');
    await confirm.fill('Nouveau-mot-2027');
    await submit.click();
    await page.getByText('Les deux mots de passe saisis sont différents.').waitFor();

    await current.fill('Pas-le-bon-1');
    await confirm.fill('Nouveau-mot-2026');
    await submit.click();
    await page.getByText('Le mot de passe actuel est incorrect.').waitFor();

    await current.fill(bob.password);
    await submit.click();
    await page.getByText('Votre mot de passe est changé.').waitFor();
    bob.password = 'Nouveau-mot-2026';
    // The session survives the change under a new id.
    await page.getByRole('link', { name: 'Mes documents' }).click();
    await page.locator('tbody tr').first().waitFor();
    assert.deepEqual(problems, []);
    await close();
  });

  test('the language choice is kept across pages and sign-ins', async () => {
    const { page, close } = await fresh();
    await signIn(page, space, bob.email, bob.password);
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 1, name: 'My documents' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'My documents' }).waitFor();
    await page.getByRole('link', { name: 'My profile' }).click();
    assert.equal(await page.getByLabel('Language').inputValue(), 'en');
    // An API error comes back in English too.
    await page.getByLabel('Current password').fill('Wrong-one-1');
    await page.getByLabel('New password', { exact: true }).fill('Another-one-42');
    await page.getByLabel('Confirm the new password').fill('Another-one-42');
    await page.getByRole('button', { name: 'Change the password' }).click();
    await page.getByText('The current password is incorrect.').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/reason=logout/);
    await page.getByText('You are signed out.').waitFor();
    // A fresh browser starts in French, and the account brings English back.
    const other = await fresh();
    await other.page.goto(portalURL(`/${space}/`));
    await other.page.getByRole('heading', { level: 1, name: 'Connexion' }).waitFor();
    await other.page.getByLabel('Identifiant', { exact: true }).fill(bob.email);
    await other.page.getByLabel('Mot de passe', { exact: true }).fill(bob.password);
    await other.page.getByRole('button', { name: 'Connexion' }).click();
    await other.page.getByRole('heading', { level: 1, name: 'My documents' }).waitFor();
    // Back to French in the preferences form.
    await other.page.getByRole('link', { name: 'My profile' }).click();
    await other.page.getByLabel('Language').selectOption('fr');
    await other.page.getByRole('button', { name: 'Save' }).click();
    await other.page.getByRole('heading', { level: 1, name: 'Mon profil' }).waitFor();
    await other.page.getByText('Préférences enregistrées.').waitFor();
    await other.close();
    await close();
  });

  test('the display history preference sets the default period', async () => {
    const { page, close } = await fresh();
    await signIn(page, space, anne.email, anne.password);
    assert.equal(await page.locator('tbody tr', { hasText: 'FA-OLD' }).count(), 0);
    await page.getByRole('link', { name: 'Mon profil' }).click();
    await page.getByLabel('Historique d\'affichage').selectOption('6');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await page.getByText('Préférences enregistrées.').waitFor();
    await page.getByRole('link', { name: 'Mes documents' }).click();
    await page.locator('tbody tr', { hasText: 'FA-OLD' }).waitFor();
    await page.getByText('les 6 derniers mois').waitFor();
    await close();
  });
});

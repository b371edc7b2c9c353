// Every page, as a visitor or a signed-in admin, in French and in English:
// axe-core finds no serious or critical WCAG 2.1 AA violation, nothing
// scrolls sideways on a 375 px wide phone, the strict CSP is sent and
// nothing breaks it, and no request leaves the origin.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { activate, applyReferential, applySpace, drop, launch, linkIn, newPage, overflowX, portalURL, signIn, waitMail } from './lib.ts';

const space = 'accessible';
const admin = { email: 'alice@accessible.example', password: 'Lecteur-ecran-2026' };
let browser: Browser;
let recoveryLink = '';

before(async () => {
  browser = await launch();
  // A light brand colour, which the portal must darken to keep its contrast.
  await applySpace({ id: space, name: 'Accès Facile', since: '2024-01-01', brand: { color: '#9fd3ff' }, profiles: ['Aucun', 'Comptabilité'] });
  await applyReferential(space, 'customers.csv', [
    { number: 'A1', company: 'Société Accessible', email: admin.email },
    { number: 'A2', company: 'Société Papier', email: 'paper@accessible.example', delivery: 'paper' },
  ]);
  await drop({ space, customer: 'A1', number: 'FA-A11Y-1', daysAgo: 2 });
  await drop({ space, customer: 'A1', number: 'AV-A11Y-2', type: 'credit_note', daysAgo: 8, copy: true });
  await drop({ space, customer: 'A1', number: 'FA-A11Y-3', daysAgo: 700 });
  await activate(admin.email, admin.password);
  // A live recovery link for the set-password page.
  const res = await fetch(portalURL('/api/auth/recovery'), {
    method: 'POST', headers: { 'Content-Type': 'application/json', Origin: portalURL('') }, body: JSON.stringify({ space, email: admin.email }),
  });
  assert.equal(res.status, 202);
  recoveryLink = linkIn(await waitMail(admin.email, (m) => m.text.includes('#token=') && !/Activation/.test(m.subject)), '#token=');
});

after(async () => {
  await browser?.close();
});

interface Visit {
  name: string;
  path: () => string;
  signedIn: boolean;
  ready: (page: Page) => Promise<void>;
}

const visits: Visit[] = [
  { name: 'login', path: () => `/${space}/`, signedIn: false, ready: (p) => p.locator('form input[name=identifier]').waitFor() },
  { name: 'forgot', path: () => `/${space}/forgot`, signedIn: false, ready: (p) => p.locator('form input[name=email]').waitFor() },
  { name: 'set password', path: () => recoveryLink.replace(portalURL(''), ''), signedIn: false, ready: (p) => p.locator('form input[name=password]').waitFor() },
  { name: 'set password, bad link', path: () => `/${space}/password?retry#token=nope`, signedIn: false, ready: (p) => p.getByRole('alert').waitFor() },
  { name: 'document link, expired', path: () => `/${space}/link#token=AAAAAAAAAAAAAAAAAAAAAA`, signedIn: false, ready: (p) => p.getByRole('alert').waitFor() },
  { name: 'document link, incomplete', path: () => `/${space}/link`, signedIn: false, ready: (p) => p.getByRole('alert').waitFor() },
  { name: 'help', path: () => `/${space}/help`, signedIn: false, ready: (p) => p.locator('.qa').first().waitFor() },
  { name: 'documents', path: () => `/${space}/documents`, signedIn: true, ready: (p) => p.locator('tbody tr').first().waitFor() },
  { name: 'documents, empty', path: () => `/${space}/documents?number=NONE`, signedIn: true, ready: (p) => p.locator('.empty').waitFor() },
  { name: 'profile', path: () => `/${space}/profile`, signedIn: true, ready: (p) => p.locator('form select[name=language]').waitFor() },
  { name: 'admin', path: () => `/${space}/admin`, signedIn: true, ready: (p) => p.locator('table.audit tbody tr').first().waitFor() },
  { name: 'help, signed in', path: () => `/${space}/help`, signedIn: true, ready: (p) => p.locator('.qa').first().waitFor() },
];

async function axe(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
}

for (const lang of ['fr', 'en'] as const) {
  describe(`pages in ${lang === 'fr' ? 'French' : 'English'}`, () => {
    let desk: Awaited<ReturnType<typeof newPage>>;
    let phone: Awaited<ReturnType<typeof newPage>>;

    before(async () => {
      desk = await newPage(browser);
      phone = await newPage(browser, { width: 375, height: 740 });
      for (const s of [desk, phone]) {
        await s.page.goto(portalURL(`/${space}/`));
        await s.page.evaluate((l) => localStorage.setItem('efacture.lang', l), lang);
      }
    });
    after(async () => {
      await desk.context.close();
      await phone.context.close();
    });

    for (const v of visits) {
      test(`${v.name}: axe, CSP, 375 px`, async () => {
        for (const s of [desk, phone]) {
          if (v.signedIn && !(await s.context.cookies()).some((c) => c.name === '__Host-efacture_session')) {
            await signIn(s.page, space, admin.email, admin.password);
            if (lang === 'en' && (await s.page.evaluate(() => document.documentElement.lang)) !== 'en') {
              await s.page.getByRole('button', { name: 'English' }).click();
              await s.page.getByRole('heading', { level: 1, name: 'My documents' }).waitFor();
            }
          }
          const res = await s.page.goto(portalURL(v.path()));
          await v.ready(s.page);
          assert.equal(await s.page.evaluate(() => document.documentElement.lang), lang);
          const csp = res?.headers()['content-security-policy'] ?? '';
          assert.match(csp, /script-src 'self'/);
          assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
          assert.deepEqual(await axe(s.page), [], `${v.name} at ${s === desk ? '1280' : '375'} px`);
          if (s === phone) assert.equal(await overflowX(s.page), 0, `${v.name} scrolls sideways at 375 px`);
        }
        assert.deepEqual([...desk.problems, ...phone.problems], []);
      });
    }

    test('admin dialogs: axe with the add-user form open', async () => {
      for (const s of [desk, phone]) {
        await s.page.goto(portalURL(`/${space}/admin`));
        await s.page.locator('[data-action=add-user]').click();
        await s.page.locator('dialog[open] input[name=identifier]').waitFor();
        // Submitting empty shows the errors, which must be accessible too.
        await s.page.locator('dialog[open] button[type=submit]').click();
        await s.page.locator('dialog[open] [aria-invalid=true]').first().waitFor();
        assert.deepEqual(await axe(s.page), []);
        if (s === phone) assert.equal(await overflowX(s.page), 0);
        await s.page.keyboard.press('Escape');
        await s.page.locator('dialog[open]').waitFor({ state: 'detached' });
        // Focus goes back to the button that opened the dialog.
        assert.equal(await s.page.evaluate(() => document.activeElement?.getAttribute('data-action')), 'add-user');
      }
    });
  });
}

test('a light brand colour keeps AA contrast in the header and on buttons', async () => {
  const { page, context } = await newPage(browser);
  await page.goto(portalURL(`/${space}/`));
  await page.locator('form button[type=submit]').waitFor();
  const pairs = await page.evaluate(() => ['.banner', 'form button[type=submit]'].map((sel) => {
    const s = getComputedStyle(document.querySelector(sel)!);
    return [s.backgroundColor, s.color];
  }));
  for (const [bg, fg] of pairs) assert.ok(contrast(bg, fg) >= 4.5, `contrast of ${fg} on ${bg} is ${contrast(bg, fg).toFixed(2)}`);
  await context.close();
});

/** contrast is the WCAG ratio of two rgb() colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

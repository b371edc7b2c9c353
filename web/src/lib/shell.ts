// The frame every page shares: skip link, branded header with navigation,
// language switch and sign-out, the main region and the footer. It loads
// the space (branding) and, on signed-in pages, the account, and handles a
// lost session: back to sign-in with a message, then back to this page.
import { api, ApiError, onUnauthenticated, type Me, type SpaceInfo } from './api.ts';
import { brandColors } from './color.ts';
import { h, replace, takeFlash } from './dom.ts';
import { formatDateTime } from './format.ts';
import { isLang, lang, setLang, t, type Key, type Lang } from './i18n.ts';
import { pageURL, parsePath, sameOriginPath, type Page } from './paths.ts';

export interface Ctx {
  spaceId: string;
  space: SpaceInfo;
  me: Me | null;
  main: HTMLElement;
  /** rerender draws the page again (after a language switch) with ctx.me, and an optional message on top. */
  rerender(flash?: string): void;
  /** flash is a message carried over from the previous page, if any. */
  flash: string | null;
}

export interface PageSpec {
  page: Page;
  title: Key;
  /** required: signed-in only; optional: either (help); none: public pages. */
  session: 'required' | 'optional' | 'none';
  render(ctx: Ctx): void | Promise<void>;
}

const signedInKey = 'efacture.signedIn';

/** markSignedIn remembers, for this tab, that a session was opened (to tell expiry from a first visit). */
export function markSignedIn(on: boolean): void {
  try {
    if (on) sessionStorage.setItem(signedInKey, '1');
    else sessionStorage.removeItem(signedInKey);
  } catch {
    // Without storage, an expired session reads as "please sign in".
  }
}

function wasSignedIn(): boolean {
  try {
    return sessionStorage.getItem(signedInKey) === '1';
  } catch {
    return false;
  }
}

/** toSignIn leaves for the sign-in page, which brings the user back here afterwards. */
export function toSignIn(space: string, reason: 'expired' | 'signin'): void {
  const next = location.pathname + location.search;
  markSignedIn(false);
  location.assign(pageURL(space, '', { reason, next }));
}

const app = () => document.getElementById('app')!;

/** fatal replaces the page with a message; used before any frame can be drawn. */
function fatal(message: string): void {
  document.title = t('app.name');
  replace(app(), h('main', { id: 'main', class: 'main narrow', tabindex: '-1' }, h('h1', null, t('app.name')), h('p', { class: 'message error', role: 'alert' }, message)));
}

export async function start(spec: PageSpec): Promise<void> {
  document.documentElement.lang = lang();
  const where = parsePath(location.pathname);
  if (!where) {
    fatal(t('error.unknownSpace'));
    return;
  }
  const spaceId = where.space;
  if (spec.session === 'required') {
    onUnauthenticated(() => toSignIn(spaceId, wasSignedIn() ? 'expired' : 'signin'));
  }
  let me: Me | null = null;
  let space: SpaceInfo;
  try {
    const meCall = spec.session === 'none' ? Promise.resolve(null) : api.me().catch((e: unknown) => {
      if (spec.session === 'optional' && e instanceof ApiError && e.status === 401) return null;
      throw e;
    });
    [me, space] = await Promise.all([meCall, api.space(spaceId)]);
  } catch (e) {
    if (e instanceof ApiError) fatal(e.status === 404 ? t('error.unknownSpace') : e.message);
    else throw e;
    return;
  }
  if (me && me.space.id !== spaceId) {
    // A session belongs to one space: its pages live under that space (PRODUCT.md §6).
    location.replace(pageURL(me.space.id, where.page) + location.search + location.hash);
    return;
  }
  if (me && isLang(me.preferences.language)) setLang(me.preferences.language);
  const { bg, fg } = brandColors(space.brand?.color);
  document.documentElement.style.setProperty('--brand', bg);
  document.documentElement.style.setProperty('--brand-fg', fg);

  let flash = takeFlash();
  let focusLang = false;
  const draw = async (): Promise<void> => {
    document.documentElement.lang = lang();
    document.title = t('app.title', { page: t(spec.title), space: space.name });
    const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
    const ctx: Ctx = {
      spaceId, space, me, main, flash,
      rerender: (message) => {
        me = ctx.me;
        flash = message ?? null;
        void draw();
      },
    };
    const switcher = langSwitch(ctx, async (l) => {
      if (ctx.me) ctx.me = me = await api.preferences({ language: l });
      setLang(l);
      focusLang = true;
      await draw();
    });
    replace(app(), h('a', { class: 'skip', href: '#main' }, t('skip')), header(ctx, spec.page, switcher), main, footer(ctx));
    if (focusLang) {
      focusLang = false;
      app().querySelector<HTMLElement>('.lang-switch')?.focus();
    }
    // A carried-over message is for the first drawing only.
    flash = null;
    await spec.render(ctx);
  };
  await draw();
}

function langSwitch(ctx: Ctx, onSwitch: (l: Lang) => Promise<void>): HTMLButtonElement {
  const other = t('lang.switchCode') as Lang;
  let busy = false;
  return h('button', {
    type: 'button', class: 'btn link lang-switch', lang: other,
    onclick: async () => {
      if (busy) return;
      busy = true;
      try {
        await onSwitch(other);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        ctx.main.prepend(h('p', { class: 'message error', role: 'alert' }, e.message));
      } finally {
        busy = false;
      }
    },
  }, t('lang.switchTo'));
}

function header(ctx: Ctx, page: Page, switcher: HTMLElement): HTMLElement {
  const logo = sameOriginPath(ctx.space.brand?.logoUrl);
  const home = pageURL(ctx.spaceId, ctx.me ? 'documents' : '');
  const brand = h('a', { class: 'brand', href: home },
    logo ? h('img', { src: logo, alt: '', class: 'logo' }) : null,
    h('span', { class: 'space-name' }, ctx.space.name),
    h('span', { class: 'portal-name' }, t('app.name')));
  const links: [Page, Key][] = ctx.me
    ? [['documents', 'nav.documents'], ['profile', 'nav.profile'], ...(ctx.me.admin ? [['admin', 'nav.admin'] as [Page, Key]] : []), ['help', 'nav.help']]
    : [['', 'nav.login'], ['help', 'nav.help']];
  const nav = h('nav', { class: 'nav', 'aria-label': t('nav.label') },
    h('ul', null, links.map(([p, key]) => h('li', null,
      h('a', { href: pageURL(ctx.spaceId, p), 'aria-current': p === page ? 'page' : undefined }, t(key))))));
  const tools: HTMLElement[] = [switcher];
  let account: HTMLElement | null = null;
  if (ctx.me) {
    const me = ctx.me;
    account = h('div', { class: 'account' },
      h('p', { class: 'who' }, t('signedInAs', { identifier: me.identifier, company: me.company.name })),
      h('p', { class: 'last-login' }, me.previousLoginAt ? t('lastLogin', { date: formatDateTime(me.previousLoginAt) }) : t('lastLogin.first')));
    let busy = false;
    tools.push(h('button', {
      type: 'button', class: 'btn link logout',
      onclick: async () => {
        if (busy) return;
        busy = true;
        // A request still in flight now meets the ended session: its 401 must not send
        // the page to « session expired » instead of « signed out ».
        onUnauthenticated(() => {});
        try {
          await api.logout();
        } catch {
          // The session ends server-side anyway at its idle limit; leave regardless.
        }
        markSignedIn(false);
        location.assign(pageURL(ctx.spaceId, '', { reason: 'logout' }));
      },
    }, t('logout')));
  }
  return h('header', { class: 'banner' },
    h('div', { class: 'banner-top' }, brand, h('div', { class: 'tools' }, tools)),
    h('div', { class: 'banner-bottom' }, nav, account));
}

function footer(ctx: Ctx): HTMLElement {
  return h('footer', { class: 'footer' },
    h('p', null, t('footer', { space: ctx.space.name }), ' · ', h('a', { href: pageURL(ctx.spaceId, 'help') }, t('footer.help'))));
}

/** pageHeading builds the page's h1, with an optional line under it. */
export function pageHeading(title: string, sub?: string | null): HTMLElement[] {
  const out: HTMLElement[] = [h('h1', null, title)];
  if (sub) out.push(h('p', { class: 'lead' }, sub));
  return out;
}

/** flashMessage shows a carried-over message as a status. */
export function flashMessage(text: string | null): HTMLElement | null {
  return text ? h('p', { class: 'message success', role: 'status' }, text) : null;
}

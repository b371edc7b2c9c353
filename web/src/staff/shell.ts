// The console's frame: skip link, header in the space's colours with the
// console's navigation (supervisor views only for supervisors), language
// switch and sign-out, the main region and the footer. It loads the space
// and the staff session, and sends a lost session (401) back to sign-in
// with a message, then back to the view it left.
import { api, ApiError, onUnauthenticated, type SpaceInfo } from '../lib/api.ts';
import { brandColors } from '../lib/color.ts';
import { h, replace, takeFlash } from '../lib/dom.ts';
import { lang, setLang, t, type Lang } from '../lib/i18n.ts';
import { sameOriginPath } from '../lib/paths.ts';
import { staffApi, type StaffMe } from './api.ts';
import { loadStaffLang, st, type StaffKey } from './i18n.ts';
import { parseStaffPath, staffURL, supervisorViews, type StaffView } from './paths.ts';

export interface StaffCtx {
  spaceId: string;
  space: SpaceInfo;
  me: StaffMe | null;
  main: HTMLElement;
  /** flash is a message carried over from the previous view, if any. */
  flash: string | null;
}

export interface ViewSpec {
  view: StaffView;
  title: StaffKey;
  /** required: signed-in only; optional: either (sign-in, which forwards a signed-in visitor); none: public. */
  session: 'required' | 'optional' | 'none';
  render(ctx: StaffCtx): void | Promise<void>;
}

const signedInKey = 'efacture.staffSignedIn';

/** markStaffSignedIn remembers, for this tab, that a staff session was opened (to tell expiry from a first visit). */
export function markStaffSignedIn(on: boolean): void {
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

/** toStaffSignIn leaves for the console's sign-in, which comes back here afterwards. */
export function toStaffSignIn(space: string, reason: 'expired' | 'signin'): void {
  const next = location.pathname + location.search;
  markStaffSignedIn(false);
  location.assign(staffURL(space, '', { reason, next }));
}

const app = () => document.getElementById('app')!;

function fatal(message: string): void {
  document.title = st('staff.name');
  replace(app(), h('main', { id: 'main', class: 'main narrow', tabindex: '-1' }, h('h1', null, st('staff.name')), h('p', { class: 'message error', role: 'alert' }, message)));
}

/** startStaff draws the view for this page's path, from views. */
export async function startStaff(views: readonly ViewSpec[]): Promise<void> {
  document.documentElement.lang = lang();
  await loadStaffLang(lang());
  const where = parseStaffPath(location.pathname);
  if (!where) {
    fatal(t('error.unknownSpace'));
    return;
  }
  const spec = views.find((v) => v.view === where.view);
  if (!spec) {
    fatal(st('staff.notFound'));
    return;
  }
  const spaceId = where.space;
  if (spec.session === 'required') {
    onUnauthenticated(() => toStaffSignIn(spaceId, wasSignedIn() ? 'expired' : 'signin'));
  }
  let me: StaffMe | null = null;
  let space: SpaceInfo;
  try {
    const meCall = spec.session === 'none' ? Promise.resolve(null) : staffApi.me().catch((e: unknown) => {
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
    // Staff belong to one space: its console is the only one they see.
    location.replace(staffURL(me.space.id, where.view === '' ? 'customers' : where.view) + location.search);
    return;
  }
  const { bg, fg } = brandColors(space.brand?.color);
  document.documentElement.style.setProperty('--brand', bg);
  document.documentElement.style.setProperty('--brand-fg', fg);

  let flash = takeFlash();
  let focusLang = false;
  const draw = async (): Promise<void> => {
    document.documentElement.lang = lang();
    document.title = st('staff.title', { page: st(spec.title), space: space.name });
    const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
    const ctx: StaffCtx = { spaceId, space, me, main, flash };
    const switcher = h('button', {
      type: 'button', class: 'btn link lang-switch', lang: t('lang.switchCode'),
      onclick: async () => {
        const next = t('lang.switchCode') as Lang;
        await loadStaffLang(next);
        setLang(next);
        focusLang = true;
        void draw();
      },
    }, t('lang.switchTo'));
    replace(app(), h('a', { class: 'skip', href: '#main' }, t('skip')), header(ctx, spec.view, switcher), main, footer(ctx));
    if (focusLang) {
      focusLang = false;
      app().querySelector<HTMLElement>('.lang-switch')?.focus();
    }
    flash = null;
    await spec.render(ctx);
  };
  await draw();
}

function header(ctx: StaffCtx, view: StaffView, switcher: HTMLElement): HTMLElement {
  const logo = sameOriginPath(ctx.space.brand?.logoUrl);
  const brand = h('a', { class: 'brand', href: staffURL(ctx.spaceId, ctx.me ? 'customers' : '') },
    logo ? h('img', { src: logo, alt: '', class: 'logo' }) : null,
    h('span', { class: 'space-name' }, ctx.space.name),
    h('span', { class: 'portal-name' }, st('staff.name')));
  const tools: HTMLElement[] = [switcher];
  let nav: HTMLElement | null = null;
  let account: HTMLElement | null = null;
  if (ctx.me) {
    const me = ctx.me;
    const links: [StaffView, StaffKey][] = [['customers', 'staff.nav.search'], ['rejections', 'staff.nav.rejections'], ['audit', 'staff.nav.audit']];
    const shown = links.filter(([v]) => me.role === 'supervisor' || !supervisorViews.includes(v));
    // The customer view is reached from the search: it keeps "Customers" as the current section.
    const current = view === 'customer' ? 'customers' : view;
    nav = h('nav', { class: 'nav', 'aria-label': t('nav.label') },
      h('ul', null, shown.map(([v, key]) => h('li', null,
        h('a', { href: staffURL(ctx.spaceId, v), 'aria-current': v === current ? (v === view ? 'page' : 'true') : undefined }, st(key))))));
    account = h('div', { class: 'account' },
      h('p', { class: 'who' }, st('staff.who', { identifier: me.identifier, role: st(me.role === 'supervisor' ? 'staff.role.supervisor' : 'staff.role.advisor') })));
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
          await staffApi.logout();
        } catch {
          // The session ends at its idle limit anyway; leave regardless.
        }
        markStaffSignedIn(false);
        location.assign(staffURL(ctx.spaceId, '', { reason: 'logout' }));
      },
    }, t('logout')));
  }
  return h('header', { class: 'banner staff' },
    h('div', { class: 'banner-top' }, brand, h('div', { class: 'tools' }, tools)),
    h('div', { class: 'banner-bottom' }, nav, account));
}

function footer(ctx: StaffCtx): HTMLElement {
  return h('footer', { class: 'footer' }, h('p', null, st('staff.footer', { space: ctx.space.name })));
}

/** heading builds the view's h1, with an optional line under it. */
export function heading(title: string, sub?: string | null): HTMLElement[] {
  const out: HTMLElement[] = [h('h1', null, title)];
  if (sub) out.push(h('p', { class: 'lead' }, sub));
  return out;
}

/** errorMessage shows an API refusal; a 403 says the view is for supervisors. */
export function errorMessage(e: ApiError): HTMLElement {
  return h('p', { class: 'message error', role: 'alert' }, e.status === 403 ? st('staff.forbidden') : e.message);
}

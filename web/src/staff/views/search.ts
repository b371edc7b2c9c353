// Customer search (PRODUCT.md §11): one box for a customer number prefix, a
// SIREN, an e-mail address or a company-name prefix; results paged by
// cursor. The query lives in the URL (?q=), so back and reload keep it.
import { ApiError } from '../../lib/api.ts';
import { h, replace } from '../../lib/dom.ts';
import { Pager } from '../../lib/documents-query.ts';
import { bindForm, button, textField } from '../../lib/form.ts';
import { t } from '../../lib/i18n.ts';
import { staffApi, type CustomerSummary } from '../api.ts';
import { st, stn } from '../i18n.ts';
import { safeStaffNext, staffURL } from '../paths.ts';
import { heading, type StaffCtx, type ViewSpec } from '../shell.ts';
import { mailStatusBadge } from './parts.ts';

const pager = new Pager();
const lastKey = 'efacture.staffSearch';

/** lastSearch is the search a customer was opened from (the page sends no referrer), or a new one. */
export function lastSearch(space: string): string {
  let last: string | null = null;
  try {
    last = sessionStorage.getItem(lastKey);
  } catch {
    // A new search then.
  }
  return safeStaffNext(last, space) ?? staffURL(space, 'customers');
}

function rememberSearch(): void {
  try {
    sessionStorage.setItem(lastKey, location.pathname + location.search);
  } catch {
    // The back link starts a new search.
  }
}

export const searchView: ViewSpec = {
  view: 'customers',
  title: 'staff.search.title',
  session: 'required',
  render(ctx: StaffCtx) {
    let q = (new URLSearchParams(location.search).get('q') ?? '').trim();
    const field = textField({ label: st('staff.search.q'), name: 'q', type: 'search', value: q, spellcheck: false, maxlength: 320, hint: st('staff.search.qHint') });
    const submit = h('button', { type: 'submit', class: 'btn primary' }, st('staff.search.submit'));
    const form = h('form', { class: 'filters search', role: 'search', 'aria-labelledby': 'search-title' });
    const status = h('p', { class: 'count', role: 'status' });
    const body = h('div', { class: 'table-area' });
    const pagerNav = h('nav', { class: 'pager', 'aria-label': t('pager.label') });

    const load = async (focus: boolean): Promise<void> => {
      if (!q) {
        status.textContent = '';
        replace(body);
        replace(pagerNav);
        return;
      }
      status.textContent = t('loading');
      body.setAttribute('aria-busy', 'true');
      try {
        const res = await staffApi.customers(q, pager.cursor);
        pager.loaded(res.nextCursor);
        drawTable(ctx, body, q, res.items);
        drawPager();
        status.textContent = stn('staff.search.count', res.items.length);
        if (focus) body.querySelector<HTMLElement>('table')?.focus();
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        status.textContent = '';
        if (e.field === 'cursor') {
          pager.reset();
          return load(focus);
        }
        ui.alert(e.message);
        replace(body);
      } finally {
        body.removeAttribute('aria-busy');
      }
    };
    const drawPager = () => {
      if (!pager.hasPrevious && !pager.hasNext) return replace(pagerNav);
      replace(pagerNav,
        button(t('pager.prev'), { disabled: !pager.hasPrevious, onclick: () => { pager.back(); void load(true); } }),
        h('span', { class: 'page-number', 'aria-current': 'page' }, t('pager.page', { n: pager.page })),
        button(t('pager.next'), { disabled: !pager.hasNext, onclick: () => { pager.forward(); void load(true); } }));
    };
    const ui = bindForm(form, {
      submit,
      fields: { q: field },
      validate: () => {
        if (field.input.value.trim()) return true;
        field.error(st('staff.search.start'));
        return false;
      },
      run: async () => {
        q = field.input.value.trim();
        pager.reset();
        history.replaceState(null, '', staffURL(ctx.spaceId, 'customers', { q }));
        rememberSearch();
        await load(true);
      },
    });
    form.append(h('h2', { id: 'search-title', class: 'visually-hidden' }, st('staff.search.title')), ui.element, field.wrap, h('div', { class: 'actions' }, submit));
    ctx.main.append(...heading(st('staff.search.title')), ctx.flash ? h('p', { class: 'message success', role: 'status' }, ctx.flash) : '', form,
      h('section', { class: 'results', 'aria-label': st('staff.search.title') }, status, body, pagerNav));
    if (!q) field.input.focus();
    rememberSearch();
    void load(false);
  },
};

function drawTable(ctx: StaffCtx, body: HTMLElement, q: string, items: CustomerSummary[]): void {
  if (!items.length) {
    replace(body, h('p', { class: 'empty' }, st('staff.search.empty', { q })));
    return;
  }
  const rows = items.map((c) => h('tr', null,
    h('th', { scope: 'row', 'data-label': st('staff.col.number') },
      h('a', { href: staffURL(ctx.spaceId, 'customer', { number: c.customerNumber }), class: 'customer-link' }, c.customerNumber)),
    h('td', { 'data-label': st('staff.col.company') }, c.companyName),
    h('td', { 'data-label': st('staff.col.siren') }, c.siren ?? ''),
    h('td', { class: 'breakable', 'data-label': st('staff.col.email') }, c.email || st('staff.mail.noEmail')),
    h('td', { 'data-label': st('staff.col.mailStatus') }, c.email ? mailStatusBadge(c.mailStatus, c.mailStatusAt) : null)));
  replace(body, h('table', { class: 'data customers', tabindex: '-1' },
    h('caption', null, st('staff.search.caption', { q })),
    h('thead', null, h('tr', null, (['staff.col.number', 'staff.col.company', 'staff.col.siren', 'staff.col.email', 'staff.col.mailStatus'] as const).map((k) => h('th', { scope: 'col' }, st(k))))),
    h('tbody', null, rows)));
}

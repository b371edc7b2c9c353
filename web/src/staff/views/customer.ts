// One customer as the advisor needs it (PRODUCT.md §11): the referential
// fields, mail status (bounced or complaint, since when), each account's
// activation state, the recent mails with their errors, the documents as
// the customer lists them (no download), resending the activation mail and
// lifting a mail status once the customer's mailbox works again.
import { ApiError, type Doc } from '../../lib/api.ts';
import { h, replace, uid } from '../../lib/dom.ts';
import { apiQuery, defaultFilters, Pager, type Filters } from '../../lib/documents-query.ts';
import { bindForm, button, selectField, textField } from '../../lib/form.ts';
import { formatAmount, formatDate, formatDateTime, formatInstantDate } from '../../lib/format.ts';
import { t } from '../../lib/i18n.ts';
import { staffApi, type CustomerAccount, type CustomerDetail, type CustomerMail } from '../api.ts';
import { st, stn } from '../i18n.ts';
import { accountState, mailBadge } from '../model.ts';
import { lastSearch } from './search.ts';
import { errorMessage, heading, type StaffCtx, type ViewSpec } from '../shell.ts';
import { label, mailStatusBadge } from './parts.ts';

export const customerView: ViewSpec = {
  view: 'customer',
  title: 'staff.search.title',
  session: 'required',
  async render(ctx: StaffCtx) {
    const number = (new URLSearchParams(location.search).get('number') ?? '').trim();
    const back = h('p', { class: 'back' }, h('a', { href: lastSearch(ctx.spaceId) }, st('staff.customer.back')));
    if (!number) {
      ctx.main.append(...heading(st('staff.search.title')), h('p', { class: 'message error', role: 'alert' }, st('staff.customer.missing')), back);
      return;
    }
    document.title = st('staff.title', { page: st('staff.customer.title', { number }), space: ctx.space.name });
    const body = h('div', { 'aria-busy': 'true' }, h('p', { class: 'spinner' }, t('loading')));
    ctx.main.append(back, body);
    let c: CustomerDetail;
    try {
      c = await staffApi.customer(number);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      replace(body, ...heading(st('staff.customer.title', { number })), errorMessage(e));
      body.removeAttribute('aria-busy');
      return;
    }
    body.removeAttribute('aria-busy');
    const accounts = h('div', { class: 'table-area' });
    const mails = h('div', { class: 'table-area' });
    const facts = h('div');
    const mailResult = h('div', { class: 'message-area', role: 'status' });
    const mailAlert = h('div', { class: 'message-area' });
    const refresh = async () => redraw(await staffApi.customer(number));
    const redraw = (d: CustomerDetail) => {
      c = d;
      replace(facts, referential(d, (opener) => clearMailStatus(d, opener, mailResult, mailAlert, refresh)));
      replace(accounts, accountsTable(d.accounts));
      replace(mails, mailsTable(d.mails));
    };
    redraw(c);
    replace(body,
      ...heading(st('staff.customer.heading', { company: c.companyName, number: c.customerNumber })),
      h('section', { class: 'card', 'aria-labelledby': 'ref-title' }, h('h2', { id: 'ref-title' }, st('staff.customer.referential')), facts, mailAlert, mailResult),
      h('section', { class: 'card', 'aria-labelledby': 'accounts-title' }, h('h2', { id: 'accounts-title' }, st('staff.accounts.title')), accounts),
      activationCard(c, refresh),
      h('section', { class: 'card', 'aria-labelledby': 'mails-title' }, h('h2', { id: 'mails-title' }, st('staff.mails.title')), mails),
      documentsCard(c));
  },
};

function referential(c: CustomerDetail, onClear: (opener: HTMLElement) => Promise<void>): HTMLElement {
  const none = () => h('span', { class: 'muted' }, st('staff.customer.none'));
  const b = mailBadge(c.mailStatus);
  return h('div', null,
    h('dl', { class: 'facts' },
      h('dt', null, st('staff.customer.number')), h('dd', null, c.customerNumber),
      h('dt', null, st('staff.customer.company')), h('dd', null, c.companyName),
      h('dt', null, st('staff.customer.siren')), h('dd', null, c.siren || none()),
      h('dt', null, st('staff.customer.email')), h('dd', { class: 'breakable' }, c.email || none()),
      h('dt', null, st('staff.customer.mailStatus')), h('dd', null, c.email ? mailStatusBadge(c.mailStatus, c.mailStatusAt) : none()),
      h('dt', null, st('staff.customer.notification')), h('dd', null, label('staff.notify', c.notification || 'none')),
      h('dt', null, st('staff.customer.delivery')), h('dd', null, label('staff.delivery', c.delivery || 'electronic')),
      h('dt', null, st('staff.customer.language')), h('dd', null, t(c.language === 'en' ? 'lang.en' : 'lang.fr'))),
    c.email && b.kind !== 'ok' ? h('p', { class: 'message warning' }, st('staff.mail.stopped')) : null,
    c.email && b.kind !== 'ok' ? h('div', { class: 'actions' }, clearButton(onClear)) : null,
    c.updatedAt ? h('p', { class: 'hint' }, st('staff.customer.updatedAt', { date: formatDateTime(c.updatedAt) })) : null);
}

function clearButton(onClear: (opener: HTMLElement) => Promise<void>): HTMLElement {
  let busy = false;
  const b: HTMLElement = button(st('staff.mail.clear'), {
    'data-action': 'clear-mail-status',
    onclick: async () => {
      if (busy) return;
      busy = true;
      b.setAttribute('aria-disabled', 'true');
      try {
        await onClear(b);
      } finally {
        busy = false;
        b.removeAttribute('aria-disabled');
      }
    },
  });
  return b;
}

/**
 * clearMailStatus lifts the status shown, after a confirmation (PRODUCT.md §11): the
 * customer said its mailbox works again. A status that changed meanwhile is not
 * cleared: the view is read again and says so.
 */
async function clearMailStatus(c: CustomerDetail, opener: HTMLElement, result: HTMLElement, alert: HTMLElement,
  refresh: () => Promise<void>): Promise<void> {
  replace(result);
  replace(alert);
  const email = c.email ?? '';
  if (!c.mailStatus || !(await confirmDialog(st('staff.mail.clearTitle'), st('staff.mail.clearText', { email }), st('staff.mail.clearConfirm'), opener))) return;
  try {
    await staffApi.clearMailStatus(c.customerNumber, c.mailStatus);
    replace(result, h('p', { class: 'message success' }, st('staff.mail.cleared', { email })));
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    replace(alert, e.code === 'mail_status_changed' ? h('p', { class: 'message error', role: 'alert' }, st('staff.mail.changed')) : errorMessage(e));
  }
  await refresh().catch((e: unknown) => {
    if (!(e instanceof ApiError)) throw e;
  });
  // The button is gone once the status is; focus goes back to the section's heading.
  const heading = document.getElementById('ref-title');
  if (heading && !document.querySelector('[data-action=clear-mail-status]')) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  } else {
    (document.querySelector('[data-action=clear-mail-status]') as HTMLElement | null)?.focus();
  }
}

function accountsTable(list: CustomerAccount[]): HTMLElement {
  if (!list.length) return h('p', { class: 'empty' }, st('staff.accounts.empty'));
  const now = new Date();
  const rows = list.map((a) => {
    const s = accountState(a, now);
    const state = s.state === 'pending' ? st('staff.state.pending', { date: formatDateTime(s.until) })
      : s.state === 'expired' ? st('staff.state.expired', { date: formatDateTime(s.at) })
      : st(`staff.state.${s.state}`);
    return h('tr', { class: a.active ? undefined : 'inactive' },
      h('th', { scope: 'row', class: 'breakable', 'data-label': st('staff.col.identifier') }, a.identifier),
      h('td', { 'data-label': st('staff.col.role') }, st(a.registeredAdmin ? 'staff.role.registered' : a.admin ? 'staff.role.admin' : 'staff.role.user')),
      h('td', { 'data-label': st('staff.col.state') }, h('span', { class: `state state-${s.state}` }, state)),
      h('td', { 'data-label': st('staff.col.lastLogin') }, a.lastLoginAt ? formatDateTime(a.lastLoginAt) : st('staff.never')));
  });
  return h('table', { class: 'data accounts' },
    h('caption', null, st('staff.accounts.caption')),
    h('thead', null, h('tr', null, (['staff.col.identifier', 'staff.col.role', 'staff.col.state', 'staff.col.lastLogin'] as const).map((k) => h('th', { scope: 'col' }, st(k))))),
    h('tbody', null, rows));
}

function mailsTable(list: CustomerMail[]): HTMLElement {
  if (!list.length) return h('p', { class: 'empty' }, st('staff.mails.empty'));
  const rows = list.map((m) => h('tr', { class: m.status === 'dead' || m.lastError ? 'failed' : undefined },
    h('th', { scope: 'row', 'data-label': st('staff.col.kind') }, label('staff.kind', m.kind)),
    h('td', { class: 'breakable', 'data-label': st('staff.col.to') }, m.to),
    h('td', { 'data-label': st('staff.col.status') }, h('span', { class: `mail-state mail-state-${m.status}` }, label('staff.status', m.status))),
    h('td', { 'data-label': st('staff.col.at') }, formatDateTime(m.at)),
    h('td', { class: 'num', 'data-label': st('staff.col.attempts') }, String(m.attempts ?? 0)),
    h('td', { class: 'breakable error-text', 'data-label': st('staff.col.error') }, m.lastError ?? '')));
  return h('table', { class: 'data mails' },
    h('caption', null, st('staff.mails.caption')),
    h('thead', null, h('tr', null, (['staff.col.kind', 'staff.col.to', 'staff.col.status', 'staff.col.at', 'staff.col.attempts', 'staff.col.error'] as const).map((k) => h('th', { scope: 'col' }, st(k))))),
    h('tbody', null, rows));
}

function activationCard(c: CustomerDetail, refresh: () => Promise<void>): HTMLElement {
  const section = h('section', { class: 'card', 'aria-labelledby': 'activation-title' }, h('h2', { id: 'activation-title' }, st('staff.activation.title')));
  if (!c.email) {
    section.append(h('p', null, st('staff.activation.noEmail')));
    return section;
  }
  const email = c.email;
  const result = h('div', { class: 'message-area', role: 'status' });
  const alert = h('div', { class: 'message-area' });
  let busy = false;
  const send = button(st('staff.activation.send'), {
    'data-action': 'resend-activation',
    onclick: async () => {
      if (busy) return;
      replace(result);
      replace(alert);
      if (!(await confirmDialog(st('staff.activation.confirmTitle'), st('staff.activation.confirmText', { email }), st('staff.activation.confirm'), send))) return;
      busy = true;
      send.setAttribute('aria-disabled', 'true');
      try {
        await staffApi.resendActivation(c.customerNumber);
        // The result area is a status region: it is read out as it fills.
        replace(result, h('p', { class: 'message success' }, st('staff.activation.sent', { email })));
        await refresh().catch((e: unknown) => {
          if (!(e instanceof ApiError)) throw e;
        });
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        replace(alert, errorMessage(e));
      } finally {
        busy = false;
        send.removeAttribute('aria-disabled');
        send.focus();
      }
    },
  }, 'primary');
  section.append(
    h('p', null, st('staff.activation.hint', { email })),
    mailBadge(c.mailStatus).kind !== 'ok' ? h('p', { class: 'message warning' }, st('staff.activation.bounced')) : '',
    alert, result, h('div', { class: 'actions' }, send));
  return section;
}

/** confirmDialog asks a yes/no question in a modal dialog; focus returns to opener. */
function confirmDialog(title: string, text: string, yes: string, opener: HTMLElement): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = uid('dialog-title');
    const textId = uid('dialog-text');
    let answer = false;
    const ok = button(yes, { 'data-action': 'confirm', onclick: () => { answer = true; dialog.close(); } }, 'primary');
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId, 'aria-describedby': textId },
      h('div', { class: 'dialog-head' }, h('h2', { id: titleId }, title)),
      h('p', { id: textId }, text),
      h('div', { class: 'actions' }, ok, button(t('cancel'), { onclick: () => dialog.close() })));
    dialog.addEventListener('close', () => {
      dialog.remove();
      opener.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    ok.focus();
  });
}

const docsPager = new Pager();

function documentsCard(c: CustomerDetail): HTMLElement {
  const summary = c.documents?.count
    ? stn('staff.docs.summary', c.documents.count, { date: formatDate(c.documents.lastIssueDate) })
    : st('staff.docs.none');
  const section = h('section', { class: 'card', 'aria-labelledby': 'docs-title' },
    h('h2', { id: 'docs-title' }, st('staff.docs.title')), h('p', null, summary), h('p', { class: 'hint' }, st('staff.docs.noDownload')));
  let filters: Filters = { ...defaultFilters };
  const from = textField({ label: t('docs.from'), name: 'from', type: 'date' });
  const to = textField({ label: t('docs.to'), name: 'to', type: 'date' });
  const type = selectField({
    label: t('docs.type'), name: 'type',
    options: [{ value: '', label: t('docs.type.all') }, { value: 'invoice', label: t('docs.type.invoice') }, { value: 'credit_note', label: t('docs.type.credit_note') }],
  });
  const num = textField({ label: t('docs.number'), name: 'number', spellcheck: false, maxlength: 100 });
  const submit = h('button', { type: 'submit', class: 'btn' }, st('staff.docs.filter'));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': st('staff.docs.filter') });
  const status = h('p', { class: 'count', role: 'status' });
  const body = h('div', { class: 'table-area' });
  const pagerNav = h('nav', { class: 'pager', 'aria-label': t('pager.label') });
  const load = async (focus: boolean): Promise<void> => {
    status.textContent = t('loading');
    body.setAttribute('aria-busy', 'true');
    try {
      const res = await staffApi.documents(c.customerNumber, apiQuery(filters, docsPager.cursor));
      docsPager.loaded(res.nextCursor);
      replace(body, docsTable(res.items));
      status.textContent = stn('staff.docs.count', res.items.length);
      replace(pagerNav);
      if (docsPager.hasPrevious || docsPager.hasNext) {
        replace(pagerNav,
          button(t('pager.prev'), { disabled: !docsPager.hasPrevious, onclick: () => { docsPager.back(); void load(true); } }),
          h('span', { class: 'page-number', 'aria-current': 'page' }, t('pager.page', { n: docsPager.page })),
          button(t('pager.next'), { disabled: !docsPager.hasNext, onclick: () => { docsPager.forward(); void load(true); } }));
      }
      if (focus) body.querySelector<HTMLElement>('table')?.focus();
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      status.textContent = '';
      if (e.field === 'cursor') {
        docsPager.reset();
        return load(focus);
      }
      const f = e.field ? ({ from, to, number: num } as Record<string, typeof from>)[e.field] : undefined;
      if (f) f.error(e.message);
      else replace(body, errorMessage(e));
    } finally {
      body.removeAttribute('aria-busy');
    }
  };
  const ui = bindForm(form, {
    submit,
    fields: { from, to, number: num },
    validate: () => {
      if (from.input.value && to.input.value && from.input.value > to.input.value) {
        to.error(t('docs.range'));
        return false;
      }
      return true;
    },
    run: async () => {
      filters = { ...defaultFilters, from: from.input.value, to: to.input.value, type: type.input.value as Filters['type'], number: num.input.value.trim() };
      docsPager.reset();
      await load(true);
    },
  });
  form.append(ui.element, h('div', { class: 'filter-grid' }, from.wrap, to.wrap, type.wrap, num.wrap), h('div', { class: 'actions' }, submit));
  section.append(form, status, body, pagerNav);
  void load(false);
  return section;
}

function docsTable(docs: Doc[]): HTMLElement {
  if (!docs.length) return h('p', { class: 'empty' }, st('staff.docs.empty'));
  const rows = docs.map((d) => {
    const badges: HTMLElement[] = [];
    if (!d.downloadedAt) badges.push(h('span', { class: 'badge new', title: t('badge.new.title') }, t('badge.new')));
    if (d.duplicate) badges.push(h('span', { class: 'badge duplicate' }, t('badge.duplicate')));
    if (d.copy) badges.push(h('span', { class: 'badge copy' }, t('badge.copy')));
    return h('tr', null,
      h('th', { scope: 'row', class: 'number', 'data-label': t('col.number') }, d.number),
      h('td', { 'data-label': t('col.type') }, t(d.type === 'credit_note' ? 'type.credit_note' : 'type.invoice')),
      h('td', { 'data-label': t('col.date') }, formatDate(d.issueDate)),
      h('td', { class: 'num', 'data-label': t('col.amount') }, formatAmount(d.amount, d.currency)),
      h('td', { class: 'badges', 'data-label': t('col.notes') }, badges.length ? h('span', { class: 'badge-list' }, badges) : null),
      h('td', { 'data-label': t('col.expires') }, formatInstantDate(d.expiresAt)));
  });
  return h('table', { class: 'data documents staff-documents', tabindex: '-1' },
    h('caption', null, st('staff.docs.caption')),
    h('thead', null, h('tr', null, (['col.number', 'col.type', 'col.date', 'col.amount', 'col.notes', 'col.expires'] as const).map((k) => h('th', { scope: 'col', class: k === 'col.amount' ? 'num' : undefined }, t(k))))),
    h('tbody', null, rows));
}

// The company's documents (PRODUCT.md §6.4): newest first, filtered by period,
// type and number, paged by cursor; one PDF at a time, a ZIP of a selection
// or of the period, a CSV of the list; badges and the reminder to archive.
import { api, ApiError, downloadURL, idleFor, type Doc, type ExportState } from '../lib/api.ts';
import { announce, h, replace, uid } from '../lib/dom.ts';
import {
  apiQuery, defaultFilters, filtersFromQuery, filtersToQuery, Pager, pageSizes, periodExport, rangeError, type Filters,
} from '../lib/documents-query.ts';
import { bindForm, button, selectField, textField } from '../lib/form.ts';
import { daysUntil, formatAmount, formatDate, formatInstantDate } from '../lib/format.ts';
import { t, tn } from '../lib/i18n.ts';
import { pageURL } from '../lib/paths.ts';
import { flashMessage, pageHeading, start, type Ctx } from '../lib/shell.ts';

// State kept across re-drawings (a language switch redraws the page).
let filters: Filters = filtersFromQuery(new URLSearchParams(location.search));
const pager = new Pager();
const selected = new Map<string, Doc>();
let exporting = false;
let firstTable = true;

/** A session may have idled out while the page sat open: check it before leaving for a file. */
const staleAfter = 60_000;

void start({
  page: 'documents',
  title: 'docs.title',
  session: 'required',
  render(ctx) {
    const me = ctx.me!;
    ctx.main.append(
      ...pageHeading(t('docs.title'), t('docs.company', { company: me.company.name, number: me.company.customerNumber })),
      flashMessage(ctx.flash) ?? '',
      mailNotice(ctx) ?? '',
      h('div', { class: 'notice', role: 'note' },
        h('p', null, t('docs.reminder')),
        ctx.space.since ? h('p', null, t('docs.since', { date: formatDate(ctx.space.since) })) : null),
    );
    const results = h('section', { class: 'results', 'aria-labelledby': 'results-title' });
    const view = new ResultsView(ctx, results);
    ctx.main.append(filterForm(ctx, view), results);
    void view.load();
  },
});

/**
 * mailNotice tells an admin that mail to the registered address bounces or was
 * reported as spam, and what to do (PRODUCT.md §5); the API sends the status
 * to admins only. A labelled region, so a screen reader lists it among the landmarks.
 */
function mailNotice(ctx: Ctx): HTMLElement | null {
  const { mailStatus, mailStatusAt } = ctx.me!.company;
  if (!mailStatus) return null;
  const advice = mailStatus === 'complaint' ? t('docs.mail.complaint') : mailStatus === 'bounced: mailbox full' ? t('docs.mail.full') : t('docs.mail.unknown');
  const id = uid('mail-status');
  return h('section', { class: 'notice mail-status', 'aria-labelledby': id },
    h('h2', { id }, t('docs.mail.title')),
    h('p', null, t('docs.mail.held', { date: formatInstantDate(mailStatusAt) })),
    h('p', null, advice));
}

function filterForm(ctx: Ctx, view: ResultsView): HTMLElement {
  const me = ctx.me!;
  const from = textField({ label: t('docs.from'), name: 'from', type: 'date', value: filters.from });
  const to = textField({ label: t('docs.to'), name: 'to', type: 'date', value: filters.to });
  const type = selectField({
    label: t('docs.type'), name: 'type', value: filters.type,
    options: [{ value: '', label: t('docs.type.all') }, { value: 'invoice', label: t('docs.type.invoice') }, { value: 'credit_note', label: t('docs.type.credit_note') }],
  });
  const number = textField({ label: t('docs.number'), name: 'number', value: filters.number, spellcheck: false, maxlength: 100, hint: t('docs.numberHint') });
  const match = selectField({
    label: t('docs.match'), name: 'match', value: filters.match,
    options: [{ value: 'prefix', label: t('docs.match.prefix') }, { value: 'exact', label: t('docs.match.exact') }],
  });
  const sizes: number[] = pageSizes.includes(filters.limit as (typeof pageSizes)[number]) ? [...pageSizes] : [filters.limit, ...pageSizes].sort((a, b) => a - b);
  const limit = selectField({ label: t('docs.pageSize'), name: 'limit', value: String(filters.limit), options: sizes.map((n) => ({ value: String(n), label: String(n) })) });
  const submit = h('button', { type: 'submit', class: 'btn primary' }, t('docs.search'));
  const reset = button(t('docs.reset'), {
    onclick: () => {
      from.input.value = to.input.value = number.input.value = '';
      type.input.value = '';
      match.input.value = 'prefix';
      limit.input.value = String(defaultFilters.limit);
      form.requestSubmit();
    },
  });
  const form = h('form', { class: 'filters', role: 'search', 'aria-labelledby': 'filters-title' });
  const ui = bindForm(form, {
    submit,
    fields: { from, to, number },
    validate: () => {
      const next = read();
      if (rangeError(next)) {
        to.error(t('docs.range'));
        return false;
      }
      return true;
    },
    run: async () => {
      filters = read();
      pager.reset();
      selected.clear();
      history.replaceState(null, '', pageURL(ctx.spaceId, 'documents') + (filtersToQuery(filters).size ? `?${filtersToQuery(filters)}` : ''));
      await view.load(true);
    },
  });
  view.formUI = ui;
  view.fields = { from, to, number };
  function read(): Filters {
    return {
      from: from.input.value, to: to.input.value, type: type.input.value as Filters['type'],
      number: number.input.value.trim(), match: match.input.value === 'exact' ? 'exact' : 'prefix', limit: Number(limit.input.value) || defaultFilters.limit,
    };
  }
  form.append(
    h('h2', { id: 'filters-title' }, t('docs.filters')),
    ui.element,
    h('div', { class: 'filter-grid' },
      h('fieldset', { class: 'period' },
        h('legend', null, t('col.date')),
        h('div', { class: 'row' }, from.wrap, to.wrap),
        h('p', { class: 'hint' }, tn('docs.periodHint', me.preferences.historyMonths))),
      type.wrap,
      h('div', { class: 'row number' }, number.wrap, match.wrap),
      limit.wrap),
    h('div', { class: 'actions' }, submit, reset),
  );
  return form;
}

class ResultsView {
  formUI: ReturnType<typeof bindForm> | null = null;
  fields: Record<string, ReturnType<typeof textField>> = {};
  private status = h('p', { class: 'count', role: 'status' });
  private body = h('div', { class: 'table-area' });
  private pagerNav = h('nav', { class: 'pager', 'aria-label': t('pager.label') });
  private bulk: HTMLElement;
  private selCount = h('p', { class: 'selection-count', 'aria-live': 'polite' });
  private exportStatus = h('div', { class: 'export-status', role: 'status' });
  private docs: Doc[] = [];

  constructor(private ctx: Ctx, section: HTMLElement) {
    this.bulk = h('div', { class: 'bulk' },
      h('h2', { id: 'bulk-title' }, t('docs.bulk')),
      h('p', { class: 'hint' }, t('docs.bulkHint')),
      this.selCount,
      h('div', { class: 'actions' },
        button(t('docs.zipSelection'), { onclick: () => this.exportSelection(), 'data-action': 'zip-selection' }),
        button(t('docs.zipPeriod'), { onclick: () => this.exportPeriod('zip'), 'data-action': 'zip-period' }),
        button(t('docs.csv'), { onclick: () => this.exportPeriod('csv'), 'data-action': 'csv' })),
      this.exportStatus);
    section.append(h('h2', { id: 'results-title', class: 'visually-hidden' }, t('docs.caption')), this.status, this.body, this.pagerNav, this.bulk);
    this.showSelection();
  }

  /** load fetches the current page; focusResults moves focus to the results (after a search or a page change). */
  async load(focusResults = false): Promise<void> {
    this.status.textContent = t('loading');
    this.status.classList.add('spinner');
    this.body.setAttribute('aria-busy', 'true');
    try {
      const res = await api.documents(apiQuery(filters, pager.cursor));
      pager.loaded(res.nextCursor);
      this.docs = res.items;
      this.drawTable();
      this.drawPager();
      this.status.textContent = tn('docs.count', res.items.length);
      if (firstTable) {
        firstTable = false;
        // Measured by the browser tests: navigation to a usable table.
        performance.mark('efacture:documents-table');
      }
      if (focusResults) this.body.querySelector<HTMLElement>('table')?.focus();
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      this.status.textContent = '';
      if (e.field === 'cursor') {
        // A cursor from before a change of filters or keys: start over.
        pager.reset();
        return this.load(focusResults);
      }
      const f = e.field ? this.fields[e.field] : undefined;
      if (f) f.error(e.message);
      else if (this.formUI) this.formUI.alert(e.message);
      replace(this.body);
    } finally {
      this.status.classList.remove('spinner');
      this.body.removeAttribute('aria-busy');
    }
  }

  private drawTable(): void {
    if (!this.docs.length) {
      replace(this.body, h('div', { class: 'empty' }, h('p', null, t('docs.empty')), h('p', { class: 'hint' }, t('docs.emptyHint'), ' ', h('a', { href: pageURL(this.ctx.spaceId, 'profile') }, t('nav.profile')))));
      return;
    }
    const now = new Date();
    const allId = uid('all');
    const all = h('input', { type: 'checkbox', id: allId, class: 'select-all', onchange: () => this.selectAll(all.checked) });
    const rows = this.docs.map((d) => this.row(d, now));
    const caption = filters.number ? t('docs.captionNumber') : t('docs.caption');
    const table = h('table', { class: 'data documents', tabindex: '-1' },
      h('caption', null, caption),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col', class: 'select' }, h('span', { class: 'visually-hidden' }, t('col.select'))),
        h('th', { scope: 'col' }, t('col.number')),
        h('th', { scope: 'col' }, t('col.type')),
        h('th', { scope: 'col' }, t('col.date')),
        h('th', { scope: 'col', class: 'num' }, t('col.amount')),
        h('th', { scope: 'col' }, t('col.notes')),
        h('th', { scope: 'col' }, t('col.expires')),
        h('th', { scope: 'col' }, t('col.download')))),
      h('tbody', null, rows));
    replace(this.body, h('div', { class: 'field check select-all-field' }, all, h('label', { for: allId }, t('docs.selectAll'))), table);
    this.syncAll();
  }

  private row(d: Doc, now: Date): HTMLElement {
    const label = t('docs.rowLabel', { type: t(d.type === 'credit_note' ? 'type.credit_note' : 'type.invoice'), number: d.number });
    const box = h('input', {
      type: 'checkbox', checked: selected.has(d.id), 'aria-label': t('docs.selectRow', { label }),
      onchange: () => {
        if (box.checked) selected.set(d.id, d);
        else selected.delete(d.id);
        this.syncAll();
        this.showSelection();
      },
    });
    box.dataset.id = d.id;
    const badges: HTMLElement[] = [];
    const newBadge = d.downloadedAt ? null : h('span', { class: 'badge new', title: t('badge.new.title') }, t('badge.new'));
    if (newBadge) badges.push(newBadge);
    if (d.duplicate) badges.push(h('span', { class: 'badge duplicate', title: t('badge.duplicate.title') }, t('badge.duplicate')));
    if (d.copy) badges.push(h('span', { class: 'badge copy', title: t('badge.copy.title') }, t('badge.copy')));
    if (daysUntil(d.expiresAt, now) < 30) badges.push(h('span', { class: 'badge expiring', title: t('badge.expiring.title') }, t('badge.expiring')));
    const link = h('a', { href: downloadURL(d.id), class: 'download', 'aria-label': t('docs.downloadLabel', { label }) }, t('docs.download'));
    link.addEventListener('click', (ev) => this.download(ev, link, d, newBadge));
    return h('tr', null,
      h('td', { class: 'select' }, box),
      h('th', { scope: 'row', class: 'number', 'data-label': t('col.number') }, d.number),
      h('td', { 'data-label': t('col.type') }, t(d.type === 'credit_note' ? 'type.credit_note' : 'type.invoice')),
      h('td', { 'data-label': t('col.date') }, formatDate(d.issueDate)),
      h('td', { class: 'num', 'data-label': t('col.amount') }, formatAmount(d.amount, d.currency)),
      h('td', { class: 'badges', 'data-label': t('col.notes') }, badges.length ? h('span', { class: 'badge-list' }, badges) : null),
      h('td', { 'data-label': t('col.expires') }, formatInstantDate(d.expiresAt)),
      h('td', { class: 'file' }, link));
  }

  private async download(ev: MouseEvent, link: HTMLAnchorElement, d: Doc, badge: HTMLElement | null): Promise<void> {
    // Let the browser handle new tabs and windows itself.
    if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    if (idleFor() > staleAfter) {
      // A 401 here goes to sign-in (and back), rather than showing raw JSON instead of a file.
      await api.me();
    }
    d.downloadedAt = new Date().toISOString();
    badge?.remove();
    location.assign(link.href);
  }

  private selectAll(on: boolean): void {
    for (const d of this.docs) {
      if (on) selected.set(d.id, d);
      else selected.delete(d.id);
    }
    this.body.querySelectorAll<HTMLInputElement>('tbody input[type=checkbox]').forEach((b) => (b.checked = on));
    this.showSelection();
  }

  private syncAll(): void {
    const all = this.body.querySelector<HTMLInputElement>('input.select-all');
    if (!all) return;
    const n = this.docs.filter((d) => selected.has(d.id)).length;
    all.checked = n > 0 && n === this.docs.length;
    all.indeterminate = n > 0 && n < this.docs.length;
  }

  private showSelection(): void {
    this.selCount.textContent = tn('docs.selected', selected.size);
  }

  private drawPager(): void {
    if (!pager.hasPrevious && !pager.hasNext) {
      replace(this.pagerNav);
      return;
    }
    const prev = button(t('pager.prev'), { disabled: !pager.hasPrevious, onclick: () => { pager.back(); void this.load(true); } });
    const next = button(t('pager.next'), { disabled: !pager.hasNext, onclick: () => { pager.forward(); void this.load(true); } });
    replace(this.pagerNav, prev, h('span', { class: 'page-number', 'aria-current': 'page' }, t('pager.page', { n: pager.page })), next);
  }

  private exportSelection(): void {
    if (!selected.size) {
      this.exportMessage('error', t('docs.noSelection'));
      return;
    }
    void this.runExport({ ids: [...selected.keys()], format: 'zip' });
  }

  private exportPeriod(format: 'zip' | 'csv'): void {
    void this.runExport(periodExport(filters, format));
  }

  private exportMessage(kind: 'error' | 'success' | 'progress', ...content: (string | Node)[]): void {
    replace(this.exportStatus, h('p', { class: `message ${kind === 'progress' ? 'status' : kind}` }, content));
  }

  /** runExport asks for an export, shows its progress while it builds, then downloads it. */
  private async runExport(req: Parameters<typeof api.exportCreate>[0]): Promise<void> {
    if (exporting) return;
    exporting = true;
    const buttons = [...this.bulk.querySelectorAll('button')];
    buttons.forEach((b) => b.setAttribute('aria-disabled', 'true'));
    const t0 = Date.now();
    const seconds = h('span', { 'aria-hidden': 'true' }, '0');
    const bar = h('progress', { 'aria-label': t('wait') });
    const tick = setInterval(() => (seconds.textContent = String(Math.round((Date.now() - t0) / 1000))), 1000);
    replace(this.exportStatus, h('p', { class: 'message status' }, bar, ' ', t('export.preparing'), ' ', seconds, h('span', { 'aria-hidden': 'true' }, ' s')));
    announce(t('wait'));
    try {
      let state: ExportState = await api.exportCreate(req);
      while (state.status === 'pending') {
        if (Date.now() - t0 > 180_000) {
          this.exportMessage('error', t('export.slow'));
          return;
        }
        await new Promise((r) => setTimeout(r, Date.now() - t0 < 10_000 ? 700 : 2000));
        state = await api.exportStatus(state.id);
      }
      if (state.status !== 'ready' || !state.url) {
        this.exportMessage('error', t('export.failed'));
        return;
      }
      this.exportMessage('success', t('export.ready'), ' ', h('a', { href: state.url, class: 'export-link' }, t('export.link')));
      location.assign(state.url);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      this.exportMessage('error', e.message);
    } finally {
      clearInterval(tick);
      exporting = false;
      buttons.forEach((b) => b.removeAttribute('aria-disabled'));
    }
  }
}

// Pieces the console's views share: the mail status badge, labels of API
// values, and a table that grows by "show more" pages.
import { ApiError, type List } from '../../lib/api.ts';
import { h, replace } from '../../lib/dom.ts';
import { button } from '../../lib/form.ts';
import { formatInstantDate } from '../../lib/format.ts';
import { t } from '../../lib/i18n.ts';
import { has, st, stn, type StaffKey } from '../i18n.ts';
import { mailBadge } from '../model.ts';
import { errorMessage } from '../shell.ts';

/** label returns the console's text for an API value (prefix + value), or the value itself. */
export function label(prefix: string, value: string | null | undefined): string {
  if (!value) return '';
  const key = `${prefix}.${value}`;
  return has(key) ? st(key) : value;
}

/** mailStatusBadge shows a customer's mail status: a badge, why, and since when. */
export function mailStatusBadge(status: string | null | undefined, at: string | null | undefined): HTMLElement {
  const b = mailBadge(status);
  if (b.kind === 'ok') return h('span', { class: 'badge mail-ok' }, st('staff.mail.ok'));
  const word = st(b.kind === 'complaint' ? 'staff.mail.complaint' : 'staff.mail.bounced');
  const text = b.reason ? st('staff.mail.withReason', { status: word, reason: st(`staff.mail.reason.${b.reason}` as StaffKey) }) : word;
  return h('span', { class: 'mail-status' },
    h('span', { class: `badge mail-${b.kind}` }, text),
    at ? h('span', { class: 'since' }, ' ', st('staff.mail.since', { date: formatInstantDate(at) })) : null);
}

export interface Column<T> {
  title: StaffKey;
  cell(item: T): Node | string | null;
  /** header: the row's header cell (th scope=row). */
  header?: boolean;
  className?: string;
}

/**
 * MoreTable lists the pages of a cursor list in one table: the first page,
 * then each "show more" appends the next. An API refusal shows in place (a
 * 403 as "for supervisors only").
 */
export class MoreTable<T> {
  readonly element: HTMLElement;
  private body = h('tbody');
  private table: HTMLTableElement;
  private status = h('p', { class: 'count', role: 'status' });
  private empty: HTMLElement;
  private error = h('div');
  private more = button(st('staff.more'), { onclick: () => void this.load() });
  private cursor: string | null = null;
  private busy = false;

  constructor(caption: StaffKey, emptyKey: StaffKey, private columns: Column<T>[], private fetch: (cursor: string | null) => Promise<List<T>>, className = '') {
    this.more.hidden = true;
    this.empty = h('p', { class: 'empty', hidden: true }, st(emptyKey));
    this.table = h('table', { class: `data ${className}`, hidden: true },
      h('caption', null, st(caption)),
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col' }, st(c.title))))),
      this.body);
    this.element = h('div', { class: 'table-area' }, this.status, this.error, this.table, this.empty, this.more);
  }

  async load(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.more.setAttribute('aria-disabled', 'true');
    this.status.textContent = t('loading');
    this.element.setAttribute('aria-busy', 'true');
    try {
      const page = await this.fetch(this.cursor);
      const firstNew = this.body.rows.length;
      this.body.append(...page.items.map((item) => this.row(item)));
      this.cursor = page.nextCursor || null;
      this.more.hidden = !this.cursor;
      const n = this.body.rows.length;
      this.table.hidden = n === 0;
      this.empty.hidden = n > 0;
      this.status.textContent = n ? stn('staff.shown', n) : '';
      // After "show more", the keyboard goes on at the first new row.
      const cell = firstNew > 0 ? this.body.rows[firstNew]?.cells[0] : undefined;
      if (cell) {
        cell.tabIndex = -1;
        cell.focus();
      }
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      replace(this.error, errorMessage(e));
      this.more.hidden = true;
    } finally {
      this.busy = false;
      this.more.removeAttribute('aria-disabled');
      this.element.removeAttribute('aria-busy');
    }
  }

  private row(item: T): HTMLTableRowElement {
    return h('tr', null, this.columns.map((c) => {
      const content = c.cell(item);
      const attrs = { class: c.className, 'data-label': st(c.title) };
      return c.header ? h('th', { scope: 'row', ...attrs }, content) : h('td', attrs, content);
    }));
  }
}

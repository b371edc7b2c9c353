// Supervisor views (PRODUCT.md §11): billing's rejected files and the
// referential reports of the space, and the staff log. The navigation hides
// them from advisors; the API refuses them (403), shown as "for supervisors".
import { h } from '../../lib/dom.ts';
import { formatDateTime } from '../../lib/format.ts';
import { staffApi, type Rejection, type StaffAuditEntry } from '../api.ts';
import { st } from '../i18n.ts';
import { heading, type StaffCtx, type ViewSpec } from '../shell.ts';
import { label, MoreTable } from './parts.ts';

export const rejectionsView: ViewSpec = {
  view: 'rejections',
  title: 'staff.rejections.title',
  session: 'required',
  async render(ctx: StaffCtx) {
    const table = new MoreTable<Rejection>('staff.rejections.caption', 'staff.rejections.empty', [
      { title: 'staff.col.at', cell: (r) => formatDateTime(r.at) },
      { title: 'staff.col.key', cell: (r) => r.key, header: true, className: 'breakable' },
      { title: 'staff.col.code', cell: (r) => h('code', null, r.code) },
      { title: 'staff.col.message', cell: (r) => r.message },
    ], (cursor) => staffApi.rejections(cursor), 'rejections');
    ctx.main.append(...heading(st('staff.rejections.title'), st('staff.rejections.intro')), table.element);
    await table.load();
  },
};

export const auditView: ViewSpec = {
  view: 'audit',
  title: 'staff.audit.title',
  session: 'required',
  async render(ctx: StaffCtx) {
    const table = new MoreTable<StaffAuditEntry>('staff.audit.caption', 'staff.audit.empty', [
      { title: 'staff.col.at', cell: (e) => formatDateTime(e.at), header: true },
      { title: 'staff.col.actor', cell: (e) => e.actor, className: 'breakable' },
      { title: 'staff.col.action', cell: (e) => label('staff.action', e.action) },
      { title: 'staff.col.target', cell: (e) => e.target, className: 'breakable' },
      { title: 'staff.col.detail', cell: (e) => e.detail, className: 'breakable' },
    ], (cursor) => staffApi.audit(cursor), 'staff-audit');
    ctx.main.append(...heading(st('staff.audit.title'), st('staff.audit.intro')), table.element);
    await table.load();
  },
};

// Administration (PRODUCT.md §6.6, admins only): the company's users, adding and
// editing them, activating and deactivating, setting a password, and the
// company's audit log. No mail is sent on creation (FAQ §13).
import { api, ApiError, type AuditEntry, type User } from '../lib/api.ts';
import { announce, h, replace, uid } from '../lib/dom.ts';
import { bindForm, button, checkField, requireValue, selectField, showPasswords, textField, type Field } from '../lib/form.ts';
import { actorText, customerService } from '../lib/audit.ts';
import { formatDateTime } from '../lib/format.ts';
import { t, tn, type Key } from '../lib/i18n.ts';
import { flashMessage, pageHeading, start, type Ctx } from '../lib/shell.ts';

void start({
  page: 'admin',
  title: 'admin.title',
  session: 'required',
  render(ctx) {
    const me = ctx.me!;
    ctx.main.append(...pageHeading(t('admin.title')), flashMessage(ctx.flash) ?? '');
    if (!me.admin) {
      ctx.main.append(h('p', { class: 'message error', role: 'alert' }, t('admin.forbidden')));
      return;
    }
    const audit = new AuditView(ctx.space.name);
    const users = new UsersView(ctx, () => void audit.reload());
    ctx.main.append(users.section, audit.section);
    void users.load();
    void audit.load();
  },
});

class UsersView {
  section: HTMLElement;
  private status = h('div', { class: 'message-area', role: 'status' });
  private body = h('div', { class: 'table-area' });
  private users: User[] = [];

  /** changed runs after every change, so the audit log shows it. */
  constructor(private ctx: Ctx, private changed: () => void) {
    const add = button(t('admin.add'), { onclick: () => this.openForm(add, null), 'data-action': 'add-user' }, 'primary');
    this.section = h('section', { class: 'card', 'aria-labelledby': 'users-title' },
      h('div', { class: 'section-head' }, h('h2', { id: 'users-title' }, t('admin.users', { company: ctx.me!.company.name })), add),
      h('p', { class: 'hint' }, t('admin.registeredHint', { space: ctx.space.name })),
      this.status,
      this.body);
  }

  async load(): Promise<void> {
    this.body.setAttribute('aria-busy', 'true');
    try {
      this.users = (await api.users()).items;
      this.draw();
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      replace(this.body, h('p', { class: 'message error', role: 'alert' }, e.message));
    } finally {
      this.body.removeAttribute('aria-busy');
    }
  }

  private say(text: string): void {
    replace(this.status, h('p', { class: 'message success' }, text));
  }

  private draw(): void {
    const me = this.ctx.me!;
    const yesNo = (b: boolean) => (b ? t('yes') : t('no'));
    const rows = this.users.map((u) => {
      const isMe = u.identifier.toLowerCase() === me.identifier.toLowerCase();
      const actions: HTMLElement[] = [];
      const edit = button(t('admin.edit'), { 'aria-label': t('admin.editLabel', { identifier: u.identifier }), onclick: () => this.openForm(edit, u) });
      actions.push(edit);
      if (!u.registeredAdmin && !isMe) {
        const toggle = button(u.active ? t('admin.deactivate') : t('admin.activate'), {
          'aria-label': t(u.active ? 'admin.deactivateLabel' : 'admin.activateLabel', { identifier: u.identifier }),
          onclick: () => this.setActive(toggle, u, !u.active),
        });
        actions.push(toggle);
      }
      // One's own password changes in My profile, with the current one; the registered
      // admin's only there.
      if (!u.registeredAdmin && !isMe) {
        const pw = button(t('admin.setPassword'), { 'aria-label': t('admin.setPasswordLabel', { identifier: u.identifier }), onclick: () => this.openPassword(pw, u) });
        actions.push(pw);
      }
      return h('tr', { class: u.active ? undefined : 'inactive' },
        h('th', { scope: 'row', class: 'breakable', 'data-label': t('admin.col.identifier') }, u.identifier,
          isMe ? h('span', { class: 'tag' }, ' ', t('admin.you')) : null,
          u.registeredAdmin ? h('span', { class: 'badge main' }, t('admin.registered')) : null),
        h('td', { 'data-label': t('admin.col.name') }, [u.firstName, u.lastName].filter(Boolean).join(' ')),
        h('td', { class: 'breakable', 'data-label': t('admin.col.email') }, u.email),
        h('td', { 'data-label': t('admin.col.phone') }, u.phone),
        h('td', { 'data-label': t('admin.col.mobile') }, u.mobile),
        h('td', { 'data-label': t('admin.col.active') }, yesNo(u.active)),
        h('td', { 'data-label': t('admin.col.admin') }, yesNo(u.admin)),
        h('td', { 'data-label': t('admin.col.profile') }, u.profile),
        h('td', { 'data-label': t('admin.col.lastLogin') }, u.lastLoginAt ? formatDateTime(u.lastLoginAt) : t('admin.never')),
        h('td', { class: 'row-actions' }, actions));
    });
    const cols: Key[] = ['admin.col.identifier', 'admin.col.name', 'admin.col.email', 'admin.col.phone', 'admin.col.mobile', 'admin.col.active', 'admin.col.admin', 'admin.col.profile', 'admin.col.lastLogin', 'admin.col.actions'];
    replace(this.body, h('table', { class: 'data users' },
      h('caption', { class: 'visually-hidden' }, t('admin.users', { company: me.company.name })),
      h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, t(c))))),
      h('tbody', null, rows)));
  }

  private async setActive(opener: HTMLButtonElement, u: User, active: boolean): Promise<void> {
    if (opener.getAttribute('aria-disabled')) return;
    opener.setAttribute('aria-disabled', 'true');
    try {
      await api.updateUser(u.identifier, { active });
      await this.load();
      this.say(t(active ? 'admin.activated' : 'admin.deactivated', { identifier: u.identifier }));
      this.changed();
      // The row was redrawn: keep the keyboard where it was.
      this.findButton(u.identifier, active ? 'admin.deactivateLabel' : 'admin.activateLabel')?.focus();
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      replace(this.status, h('p', { class: 'message error', role: 'alert' }, e.message));
      opener.removeAttribute('aria-disabled');
    }
  }

  private findButton(identifier: string, key: Key): HTMLElement | null {
    const label = t(key, { identifier });
    return [...this.body.querySelectorAll<HTMLElement>('button')].find((b) => b.getAttribute('aria-label') === label) ?? null;
  }

  /** openForm opens the add form (u null) or the edit form of u. */
  private openForm(opener: HTMLElement, u: User | null): void {
    const profiles = this.ctx.space.profiles?.length ? this.ctx.space.profiles : ['Aucun'];
    const identifier = textField({ label: t('admin.field.identifier'), name: 'identifier', required: true, spellcheck: false, hint: t('admin.field.identifierHint'), maxlength: 320 });
    const password = textField({ label: t('admin.field.password'), name: 'password', type: 'password', autocomplete: 'new-password', required: true, hint: t('pw.policy'), maxlength: 256 });
    const confirmation = textField({ label: t('admin.field.confirmation'), name: 'confirmation', type: 'password', autocomplete: 'new-password', required: true, maxlength: 256 });
    const lastName = textField({ label: t('admin.field.lastName'), name: 'lastName', autocomplete: 'off', optional: true, value: u?.lastName, maxlength: 100 });
    const firstName = textField({ label: t('admin.field.firstName'), name: 'firstName', autocomplete: 'off', optional: true, value: u?.firstName, maxlength: 100 });
    const email = textField({ label: t('admin.field.email'), name: 'email', type: 'email', autocomplete: 'off', optional: true, value: u?.email, maxlength: 320 });
    const phone = textField({ label: t('admin.field.phone'), name: 'phone', type: 'tel', autocomplete: 'off', optional: true, value: u?.phone, maxlength: 40 });
    const mobile = textField({ label: t('admin.field.mobile'), name: 'mobile', type: 'tel', autocomplete: 'off', optional: true, value: u?.mobile, maxlength: 40 });
    const current = u?.profile && !profiles.includes(u.profile) ? [u.profile, ...profiles] : profiles;
    const profile = selectField({ label: t('admin.field.profile'), name: 'profile', value: u?.profile ?? profiles[0], hint: t('admin.field.profileHint'), options: current.map((p) => ({ value: p, label: p })) });
    const locked = !!u?.registeredAdmin;
    const admin = checkField({ label: t('admin.field.admin'), name: 'admin', checked: u?.admin ?? false, disabled: locked });
    const active = checkField({ label: t('admin.field.active'), name: 'active', checked: u?.active ?? true, disabled: locked });
    const fields: Record<string, Field> = { identifier, lastName, firstName, email, phone, mobile, profile, admin, active };
    const submit = h('button', { type: 'submit', class: 'btn primary' }, u ? t('save') : t('admin.create'));
    const form = h('form', { class: 'form user-form' });
    const title = u ? t('admin.editTitle', { identifier: u.identifier }) : t('admin.add');
    const dialog = openDialog(title, opener, form);
    const ui = bindForm(form, {
      submit,
      fields,
      passwordField: u ? undefined : password,
      confirmationField: u ? undefined : confirmation,
      validate: () => {
        if (u) return true;
        if (![requireValue(identifier), requireValue(password), requireValue(confirmation)].every(Boolean)) return false;
        if (password.input.value !== confirmation.input.value) {
          confirmation.error(t('pw.mismatch'));
          return false;
        }
        return true;
      },
      run: async () => {
        const values: Record<string, unknown> = {
          lastName: lastName.input.value.trim(), firstName: firstName.input.value.trim(), email: email.input.value.trim(),
          phone: phone.input.value.trim(), mobile: mobile.input.value.trim(), profile: profile.input.value,
        };
        if (!locked) {
          values.admin = (admin.input as HTMLInputElement).checked;
          values.active = (active.input as HTMLInputElement).checked;
        }
        let done: string;
        let who: string;
        if (u) {
          // Only what changed, so an edit never touches what the admin did not.
          const patch = Object.fromEntries(Object.entries(values).filter(([k, v]) => (u as unknown as Record<string, unknown>)[k] !== v));
          if (Object.keys(patch).length) await api.updateUser(u.identifier, patch);
          who = u.identifier;
          done = t('admin.updated', { identifier: who });
        } else {
          const created = await api.createUser({ identifier: identifier.input.value.trim(), password: password.input.value, confirmation: confirmation.input.value, ...values });
          who = created.identifier;
          done = t('admin.created', { identifier: who });
        }
        dialog.close();
        await this.load();
        this.say(done);
        this.changed();
        announce(done);
        (this.findButton(who, 'admin.editLabel') ?? opener).focus();
      },
    });
    form.append(ui.element);
    if (!u) {
      form.append(h('fieldset', null, h('legend', null, t('admin.section.login')), identifier.wrap, password.wrap, confirmation.wrap,
        showPasswords(t('pw.show'), [password.input, confirmation.input])));
    }
    form.append(
      h('fieldset', null, h('legend', null, t('admin.section.contact')), lastName.wrap, firstName.wrap, email.wrap, phone.wrap, mobile.wrap),
      h('fieldset', null, h('legend', null, t('admin.section.rights')), profile.wrap, admin.wrap, active.wrap,
        locked ? h('p', { class: 'hint' }, t('admin.registeredHint', { space: this.ctx.space.name })) : null),
      u ? '' : h('p', { class: 'note' }, t('admin.noMail')),
      h('div', { class: 'actions' }, submit, button(t('cancel'), { onclick: () => dialog.close() })),
    );
    (u ? lastName.input : identifier.input).focus();
  }

  private openPassword(opener: HTMLElement, u: User): void {
    const password = textField({ label: t('admin.field.password'), name: 'password', type: 'password', autocomplete: 'new-password', required: true, hint: t('pw.policy'), maxlength: 256 });
    const confirmation = textField({ label: t('admin.field.confirmation'), name: 'confirmation', type: 'password', autocomplete: 'new-password', required: true, maxlength: 256 });
    // The admin's own password: a stolen admin session alone cannot take an account over.
    const adminPassword = textField({ label: t('admin.field.adminPassword'), name: 'adminPassword', type: 'password', autocomplete: 'current-password', required: true, hint: t('admin.field.adminPasswordHint'), maxlength: 256 });
    const submit = h('button', { type: 'submit', class: 'btn primary' }, t('save'));
    const form = h('form', { class: 'form' });
    const dialog = openDialog(t('admin.pwTitle', { identifier: u.identifier }), opener, form);
    const ui = bindForm(form, {
      submit,
      fields: { adminPassword },
      passwordField: password,
      confirmationField: confirmation,
      currentPasswordField: adminPassword,
      validate: () => {
        if (![requireValue(password), requireValue(confirmation), requireValue(adminPassword)].every(Boolean)) return false;
        if (password.input.value !== confirmation.input.value) {
          confirmation.error(t('pw.mismatch'));
          return false;
        }
        return true;
      },
      run: async () => {
        await api.updateUser(u.identifier, { password: password.input.value, confirmation: confirmation.input.value, adminPassword: adminPassword.input.value });
        dialog.close();
        const done = t('admin.passwordSet', { identifier: u.identifier });
        this.say(done);
        this.changed();
        announce(done);
        opener.focus();
      },
    });
    form.append(ui.element, h('p', { class: 'hint' }, t('admin.pwHint')), password.wrap, confirmation.wrap,
      showPasswords(t('pw.show'), [password.input, confirmation.input]), adminPassword.wrap,
      h('div', { class: 'actions' }, submit, button(t('cancel'), { onclick: () => dialog.close() })));
    password.input.focus();
  }
}

/** openDialog shows content in a modal dialog titled title; closing it gives focus back to opener. */
function openDialog(title: string, opener: HTMLElement, content: HTMLElement): HTMLDialogElement {
  const titleId = uid('dialog-title');
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
    h('div', { class: 'dialog-head' },
      h('h2', { id: titleId }, title),
      button(t('close'), { class: 'btn link close', onclick: () => dialog.close() })),
    content);
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (document.activeElement === document.body || !document.activeElement) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

class AuditView {
  section: HTMLElement;
  private body = h('tbody');
  private more = button(t('audit.more'), { onclick: () => void this.load() });
  private status = h('p', { class: 'count', role: 'status' });
  private cursor: string | undefined;
  private empty = h('p', { hidden: true }, t('audit.empty'));
  private table: HTMLElement;

  constructor(private spaceName: string) {
    this.more.hidden = true;
    this.table = h('table', { class: 'data audit' },
      h('caption', null, t('audit.caption')),
      h('thead', null, h('tr', null, (['audit.col.at', 'audit.col.actor', 'audit.col.action', 'audit.col.target', 'audit.col.detail'] as Key[]).map((c) => h('th', { scope: 'col' }, t(c))))),
      this.body);
    this.section = h('section', { class: 'card', 'aria-labelledby': 'audit-title' },
      h('h2', { id: 'audit-title' }, t('audit.title')), this.status, h('div', { class: 'table-area' }, this.table), this.empty, this.more);
  }

  /** reload starts the log again from its newest entry. */
  async reload(): Promise<void> {
    await this.inflight;
    this.cursor = undefined;
    this.body.replaceChildren();
    await this.load();
  }

  load(): Promise<void> {
    if (!this.inflight) this.inflight = this.fetchPage().finally(() => (this.inflight = null));
    return this.inflight;
  }

  private inflight: Promise<void> | null = null;

  private async fetchPage(): Promise<void> {
    this.more.setAttribute('aria-disabled', 'true');
    this.status.textContent = t('loading');
    try {
      const page = await api.audit(this.cursor);
      this.body.append(...page.items.map((e) => row(e, this.spaceName)));
      this.cursor = page.nextCursor ?? undefined;
      this.more.hidden = !this.cursor;
      const n = this.body.rows.length;
      this.empty.hidden = n > 0;
      this.table.hidden = n === 0;
      this.status.textContent = n ? tn('audit.count', n) : '';
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      this.status.textContent = e.message;
    } finally {
      this.more.removeAttribute('aria-disabled');
    }
  }
}

function row(e: AuditEntry, spaceName: string): HTMLElement {
  const key = `audit.action.${e.action}` as Key;
  const action = key in actionKeys ? t(key) : e.action;
  const staff = e.actor === customerService;
  return h('tr', { class: staff ? 'staff-action' : undefined },
    h('td', { 'data-label': t('audit.col.at') }, formatDateTime(e.at)),
    h('td', { class: 'breakable', 'data-label': t('audit.col.actor') }, actorText(e.actor, spaceName)),
    h('td', { 'data-label': t('audit.col.action') }, action),
    h('td', { class: 'breakable', 'data-label': t('audit.col.target') }, e.target),
    h('td', { 'data-label': t('audit.col.detail') }, e.detail));
}

const actionKeys: Record<string, true> = Object.fromEntries(
  ['login', 'login_failed', 'password_set', 'password_changed', 'password_reset', 'user_created', 'user_updated', 'download', 'link_use', 'export',
    'staff_view_customer', 'staff_view_documents', 'staff_activation_resent', 'staff_mail_status_cleared'].map((a) => [`audit.action.${a}`, true]),
);

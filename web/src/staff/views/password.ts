// Set a staff password from the one-time link ops hand over
// (/{space}/staff/password#token=…). As on the customers' page, the token
// stays in the fragment (never sent by the browser), leaves the address bar
// at once, and is kept in this tab only so that a reload still works.
import { ApiError } from '../../lib/api.ts';
import { h, replace } from '../../lib/dom.ts';
import { bindForm, requireValue, showPasswords, textField } from '../../lib/form.ts';
import { t } from '../../lib/i18n.ts';
import { staffApi, type PasswordLink } from '../api.ts';
import { st } from '../i18n.ts';
import { staffURL, tokenFromHash } from '../paths.ts';
import { heading, type StaffCtx, type ViewSpec } from '../shell.ts';
import { identifierKey } from './login.ts';

const tokenKey = 'efacture.staffToken';

function takeToken(): string {
  const fromHash = tokenFromHash(location.hash);
  if (fromHash) {
    try {
      sessionStorage.setItem(tokenKey, fromHash);
    } catch {
      // Kept in memory only.
    }
    history.replaceState(null, '', location.pathname + location.search);
    return fromHash;
  }
  try {
    return sessionStorage.getItem(tokenKey) ?? '';
  } catch {
    return '';
  }
}

let token: string | null = null;
let inspected: PasswordLink | null = null;

export const passwordView: ViewSpec = {
  view: 'password',
  title: 'staff.setpw.title',
  session: 'none',
  async render(ctx: StaffCtx) {
    if (token === null) {
      token = takeToken();
      window.addEventListener('hashchange', () => {
        if (tokenFromHash(location.hash)) location.reload();
      });
    }
    ctx.main.classList.add('narrow');
    ctx.main.append(...heading(st('staff.setpw.title')));
    const body = h('div', { 'aria-live': 'polite' }, h('p', { class: 'spinner' }, st('staff.setpw.checking')));
    ctx.main.append(body);
    if (!token) {
      replace(body, h('p', { class: 'message error', role: 'alert' }, st('staff.setpw.noToken')));
      return;
    }
    try {
      inspected ??= await staffApi.inspectPassword(token);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      replace(body, h('p', { class: 'message error', role: 'alert' }, e.message));
      return;
    }
    replace(body, form(ctx, token, inspected));
  },
};

function form(ctx: StaffCtx, tok: string, link: PasswordLink): HTMLElement {
  const password = textField({ label: st('staff.setpw.password'), name: 'password', type: 'password', autocomplete: 'new-password', required: true, hint: t('pw.policy'), maxlength: 256 });
  const confirmation = textField({ label: st('staff.setpw.confirmation'), name: 'confirmation', type: 'password', autocomplete: 'new-password', required: true, maxlength: 256 });
  const submit = h('button', { type: 'submit', class: 'btn primary' }, st('staff.setpw.submit'));
  const f = h('form', { class: 'form' });
  const ui = bindForm(f, {
    submit,
    passwordField: password,
    confirmationField: confirmation,
    validate: () => {
      if (![requireValue(password), requireValue(confirmation)].every(Boolean)) return false;
      if (password.input.value !== confirmation.input.value) {
        confirmation.error(t('pw.mismatch'));
        return false;
      }
      return true;
    },
    run: async () => {
      await staffApi.setPassword(tok, password.input.value, confirmation.input.value);
      try {
        sessionStorage.removeItem(tokenKey);
        if (link.identifier) sessionStorage.setItem(identifierKey, link.identifier);
      } catch {
        // The sign-in simply starts empty.
      }
      location.assign(staffURL(ctx.spaceId, '', { reason: 'password-set' }));
      await new Promise(() => {});
    },
  });
  // The username field lets password managers file the new password under the right name.
  const who = link.identifier
    ? [h('dl', { class: 'facts' },
      h('dt', null, st('staff.setpw.identifier')), h('dd', { class: 'identifier' }, link.identifier),
      link.role ? [h('dt', null, st('staff.setpw.role')), h('dd', null, st(link.role === 'supervisor' ? 'staff.role.supervisor' : 'staff.role.advisor'))] : null),
      h('input', { type: 'text', name: 'username', autocomplete: 'username', value: link.identifier, hidden: true, readonly: true, tabindex: '-1', 'aria-hidden': 'true' })]
    : [];
  f.append(ui.element, ...who, password.wrap, confirmation.wrap, showPasswords(st('staff.setpw.show'), [password.input, confirmation.input]),
    h('p', { class: 'note' }, st('staff.setpw.totp')), h('div', { class: 'actions' }, submit));
  return f;
}

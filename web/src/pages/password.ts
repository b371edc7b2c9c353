// Set a password from an activation or recovery link (PRODUCT.md §6.3). The token
// travels in the URL fragment, which browsers never send; the page takes it
// out of the address bar at once (history, shoulder surfing) and keeps it
// in this tab only, so a reload still works.
import { api, ApiError, type Recovery } from '../lib/api.ts';
import { h, replace, uid } from '../lib/dom.ts';
import { bindForm, requireValue, showPasswords, textField } from '../lib/form.ts';
import { reloadOnNewToken, takeToken } from '../lib/fragment.ts';
import { t } from '../lib/i18n.ts';
import { pageURL } from '../lib/paths.ts';
import { pageHeading, start, type Ctx } from '../lib/shell.ts';

const passwordTokenKey = 'efacture.token';
const token = takeToken(passwordTokenKey);
reloadOnNewToken();
let inspected: Recovery | null = null;

function newLink(ctx: Ctx): HTMLElement {
  return h('p', null, h('a', { href: pageURL(ctx.spaceId, 'forgot') }, t('setpw.newLink')));
}

void start({
  page: 'password',
  title: 'setpw.title',
  session: 'none',
  async render(ctx) {
    ctx.main.classList.add('narrow');
    ctx.main.append(...pageHeading(t('setpw.title')));
    const body = h('div', { 'aria-live': 'polite' }, h('p', { class: 'spinner' }, t('setpw.checking')));
    ctx.main.append(body);
    if (!token) {
      replace(body, h('p', { class: 'message error', role: 'alert' }, t('setpw.noToken')), newLink(ctx));
      return;
    }
    try {
      inspected ??= await api.inspect(token);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      replace(body, h('p', { class: 'message error', role: 'alert' }, e.message), newLink(ctx));
      return;
    }
    const rec = inspected;
    if (!rec.accounts.length) {
      replace(body, h('p', { class: 'message error', role: 'alert' }, t('setpw.none')));
      return;
    }
    replace(body, form(ctx, rec));
  },
});

function form(ctx: Ctx, rec: Recovery): HTMLElement {
  let chosen = rec.accounts[0].identifier;
  let who: HTMLElement;
  if (rec.accounts.length === 1) {
    const a = rec.accounts[0];
    who = h('dl', { class: 'facts' },
      h('dt', null, t('setpw.email')), h('dd', null, rec.email),
      h('dt', null, t('setpw.company')), h('dd', null, a.companyName),
      h('dt', null, t('setpw.identifier')), h('dd', { class: 'identifier' }, a.identifier));
  } else {
    const name = uid('account');
    who = h('fieldset', { class: 'choices' },
      h('legend', null, t('setpw.choose')),
      rec.accounts.map((a, i) => {
        const id = uid('acct');
        return h('div', { class: 'field check' },
          h('input', { type: 'radio', id, name, value: a.identifier, checked: i === 0, onchange: () => (chosen = a.identifier) }),
          h('label', { for: id }, t('setpw.option', { company: a.companyName, identifier: a.identifier })));
      }));
  }
  const password = textField({ label: t('setpw.password'), name: 'password', type: 'password', autocomplete: 'new-password', required: true, hint: t('pw.policy'), maxlength: 256 });
  const confirmation = textField({ label: t('setpw.confirmation'), name: 'confirmation', type: 'password', autocomplete: 'new-password', required: true, maxlength: 256 });
  const submit = h('button', { type: 'submit', class: 'btn primary' }, t('setpw.submit'));
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
      await api.complete(token, chosen, password.input.value, confirmation.input.value);
      try {
        sessionStorage.removeItem(passwordTokenKey);
        sessionStorage.setItem('efacture.identifier', chosen);
      } catch {
        // The login page simply starts empty.
      }
      location.assign(pageURL(ctx.spaceId, '', { reason: 'password-set' }));
      await new Promise(() => {});
    },
  });
  f.append(ui.element, who, password.wrap, confirmation.wrap, showPasswords(t('pw.show'), [password.input, confirmation.input]), h('div', { class: 'actions' }, submit));
  return f;
}

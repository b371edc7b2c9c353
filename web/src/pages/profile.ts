// My profile (PRODUCT.md §6.5): identity and company, the previous sign-in, the
// display history and language preferences, and a password change.
import { api } from '../lib/api.ts';
import { h } from '../lib/dom.ts';
import { bindForm, requireValue, selectField, showPasswords, textField } from '../lib/form.ts';
import { formatDateTime } from '../lib/format.ts';
import { isLang, setLang, t, tn } from '../lib/i18n.ts';
import { flashMessage, pageHeading, start, type Ctx } from '../lib/shell.ts';

const historyChoices = [1, 3, 6, 12, 24];

void start({
  page: 'profile',
  title: 'profile.title',
  session: 'required',
  render(ctx) {
    const me = ctx.me!;
    const name = [me.firstName, me.lastName].filter(Boolean).join(' ');
    const role = me.registeredAdmin ? t('profile.role.registered', { space: ctx.space.name }) : me.admin ? t('profile.role.admin') : t('profile.role.user');
    const fact = (label: string, value: string) => (value ? [h('dt', null, label), h('dd', null, value)] : []);
    ctx.main.append(
      ...pageHeading(t('profile.title')),
      flashMessage(ctx.flash) ?? '',
      h('section', { class: 'card', 'aria-labelledby': 'account-title' },
        h('h2', { id: 'account-title' }, t('profile.account')),
        h('dl', { class: 'facts' },
          fact(t('profile.identifier'), me.identifier),
          fact(t('profile.name'), name),
          fact(t('profile.email'), me.email),
          fact(t('profile.phone'), me.phone),
          fact(t('profile.mobile'), me.mobile),
          fact(t('profile.profile'), me.profile),
          fact(t('profile.role'), role),
          fact(t('profile.company'), me.company.name),
          fact(t('profile.customerNumber'), me.company.customerNumber),
          fact(t('profile.lastLogin'), me.previousLoginAt ? formatDateTime(me.previousLoginAt) : t('profile.lastLogin.none'))),
        h('p', { class: 'note' }, t('profile.notify'))),
      preferences(ctx),
      passwordChange(),
    );
  },
});

function preferences(ctx: Ctx): HTMLElement {
  const me = ctx.me!;
  const history = selectField({
    label: t('prefs.history'), name: 'historyMonths', value: String(me.preferences.historyMonths), hint: t('prefs.historyHint'),
    options: historyChoices.map((n) => ({ value: String(n), label: tn('months', n) })),
  });
  const language = selectField({
    label: t('prefs.language'), name: 'language', value: me.preferences.language,
    options: [{ value: 'fr', label: t('lang.fr') }, { value: 'en', label: t('lang.en') }],
  });
  for (const o of language.input.options) o.lang = o.value;
  const submit = h('button', { type: 'submit', class: 'btn primary' }, t('save'));
  const form = h('form', { class: 'form' });
  const ui = bindForm(form, {
    submit,
    fields: { historyMonths: history, language },
    run: async () => {
      const before = me.preferences.language;
      const updated = await api.preferences({ historyMonths: Number(history.input.value), language: language.input.value });
      ctx.me = updated;
      if (isLang(updated.preferences.language) && updated.preferences.language !== before) {
        // Redraw everything in the new language, then say so there.
        setLang(updated.preferences.language);
        ctx.rerender(t('prefs.saved'));
        document.querySelector<HTMLSelectElement>('select[name=language]')?.focus();
        return;
      }
      ui.status(t('prefs.saved'));
    },
  });
  form.append(ui.element, history.wrap, language.wrap, h('div', { class: 'actions' }, submit));
  return h('section', { class: 'card', 'aria-labelledby': 'prefs-title' }, h('h2', { id: 'prefs-title' }, t('prefs.title')), form);
}

function passwordChange(): HTMLElement {
  const current = textField({ label: t('pwchange.current'), name: 'currentPassword', type: 'password', autocomplete: 'current-password', required: true, maxlength: 256 });
  const next = textField({ label: t('pwchange.new'), name: 'newPassword', type: 'password', autocomplete: 'new-password', required: true, hint: t('pw.policy'), maxlength: 256 });
  const confirm = textField({ label: t('pwchange.confirm'), name: 'confirmation', type: 'password', autocomplete: 'new-password', required: true, maxlength: 256 });
  const submit = h('button', { type: 'submit', class: 'btn primary' }, t('pwchange.submit'));
  const form = h('form', { class: 'form' });
  const ui = bindForm(form, {
    submit,
    currentPasswordField: current,
    passwordField: next,
    confirmationField: confirm,
    validate: () => {
      if (![requireValue(current), requireValue(next), requireValue(confirm)].every(Boolean)) return false;
      if (next.input.value !== confirm.input.value) {
        confirm.error(t('pw.mismatch'));
        return false;
      }
      return true;
    },
    run: async () => {
      await api.changePassword(current.input.value, next.input.value, confirm.input.value);
      form.reset();
      ui.status(t('pwchange.done'));
    },
  });
  form.append(ui.element, current.wrap, next.wrap, confirm.wrap, showPasswords(t('pw.show'), [current.input, next.input, confirm.input]), h('div', { class: 'actions' }, submit));
  return h('section', { class: 'card', 'aria-labelledby': 'pwchange-title' }, h('h2', { id: 'pwchange-title' }, t('pwchange.title')), form);
}

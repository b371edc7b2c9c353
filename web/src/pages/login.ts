// Sign-in (PRODUCT.md §6.1): identifier and password, then the documents, or the
// page a lost session interrupted.
import { api, ApiError } from '../lib/api.ts';
import { h, setFlash } from '../lib/dom.ts';
import { bindForm, requireValue, showPasswords, textField } from '../lib/form.ts';
import { t } from '../lib/i18n.ts';
import { pageURL, safeNext } from '../lib/paths.ts';
import { flashMessage, markSignedIn, pageHeading, start } from '../lib/shell.ts';

const reasons = {
  expired: 'login.reason.expired',
  signin: 'login.reason.signin',
  logout: 'login.reason.logout',
  'password-set': 'login.reason.passwordSet',
} as const;

const identifierKey = 'efacture.identifier';

void start({
  page: '',
  title: 'login.title',
  session: 'none',
  render(ctx) {
    const q = new URLSearchParams(location.search);
    const reason = q.get('reason') as keyof typeof reasons | null;
    const next = safeNext(q.get('next'), ctx.spaceId);
    let remembered = '';
    try {
      // Handed over by the set-password page, once.
      remembered = sessionStorage.getItem(identifierKey) ?? '';
    } catch {
      // Nothing to prefill.
    }

    const identifier = textField({
      label: t('login.identifier'), name: 'identifier', autocomplete: 'username', required: true,
      value: remembered, spellcheck: false, hint: t('login.identifierHint'), maxlength: 320,
    });
    const password = textField({ label: t('login.password'), name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 256 });
    const submit = h('button', { type: 'submit', class: 'btn primary' }, t('login.submit'));
    const form = h('form', { class: 'form', 'aria-labelledby': 'login-title' });
    const ui = bindForm(form, {
      submit,
      validate: () => [requireValue(identifier), requireValue(password)].every(Boolean),
      run: async () => {
        const me = await api.login(identifier.input.value.trim(), password.input.value);
        markSignedIn(true);
        try {
          sessionStorage.removeItem(identifierKey);
        } catch {
          // Nothing to forget.
        }
        if (me.space.id !== ctx.spaceId) {
          // The identifier belongs to another supplier's space (FAQ §6): the session lives there.
          setFlash(t('flash.otherSpace', { space: me.space.name }));
          location.assign(pageURL(me.space.id, 'documents'));
          return;
        }
        location.assign(next ?? pageURL(ctx.spaceId, 'documents'));
        // Stay busy while the next page loads, so a second Enter does nothing.
        await new Promise(() => {});
      },
      onError: (err: ApiError) => {
        if (err.code === 'invalid_credentials') {
          password.input.value = '';
        }
        return false;
      },
    });
    form.append(
      ui.element,
      identifier.wrap,
      password.wrap,
      showPasswords(t('login.showPassword'), [password.input]),
      h('div', { class: 'actions' }, submit),
    );

    const notice = reason && reason in reasons ? h('p', { class: reason === 'expired' || reason === 'signin' ? 'message warning' : 'message success', role: 'status' }, t(reasons[reason])) : null;
    const heading = pageHeading(t('login.title'), t('login.intro', { space: ctx.space.name }));
    heading[0].id = 'login-title';
    ctx.main.classList.add('narrow');
    ctx.main.append(
      ...heading,
      flashMessage(ctx.flash) ?? '',
      notice ?? '',
      form,
      h('p', { class: 'forgot' }, h('a', { href: pageURL(ctx.spaceId, 'forgot') }, t('login.forgot'))),
      h('p', { class: 'note' }, t('login.first')),
    );
    (remembered ? password.input : identifier.input).focus();
  },
});

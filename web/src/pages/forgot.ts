// Forgotten password or identifier (PRODUCT.md §6.2): one recovery mail to the
// address. The answer is the API's own message, neutral unless the space
// chose to reveal unknown addresses (then « Aucun compte trouvé pour … »).
import { api } from '../lib/api.ts';
import { h } from '../lib/dom.ts';
import { bindForm, textField } from '../lib/form.ts';
import { t } from '../lib/i18n.ts';
import { pageURL } from '../lib/paths.ts';
import { pageHeading, start } from '../lib/shell.ts';

// Loose on purpose: the server decides; this only catches obvious typos.
const emailRe = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

void start({
  page: 'forgot',
  title: 'forgot.title',
  session: 'none',
  render(ctx) {
    const email = textField({ label: t('forgot.email'), name: 'email', type: 'email', autocomplete: 'email', required: true, maxlength: 320 });
    const submit = h('button', { type: 'submit', class: 'btn primary' }, t('forgot.submit'));
    const done = h('div', { class: 'message success', role: 'status', hidden: true });
    const form = h('form', { class: 'form', 'aria-labelledby': 'forgot-title' });
    const ui = bindForm(form, {
      submit,
      fields: { email },
      validate: () => {
        if (emailRe.test(email.input.value.trim())) return true;
        email.error(t('field.email'));
        return false;
      },
      run: async () => {
        done.hidden = true;
        const res = await api.recovery(ctx.spaceId, email.input.value.trim());
        done.textContent = res.message;
        done.hidden = false;
      },
      onError: (err) => {
        if (err.code === 'no_account') {
          email.error(err.message);
          return true;
        }
        return false;
      },
    });
    form.append(ui.element, email.wrap, h('div', { class: 'actions' }, submit));
    const heading = pageHeading(t('forgot.title'), t('forgot.intro'));
    heading[0].id = 'forgot-title';
    ctx.main.classList.add('narrow');
    ctx.main.append(
      ...heading,
      form,
      done,
      h('p', { class: 'note' }, t('forgot.note')),
      h('p', null, h('a', { href: pageURL(ctx.spaceId, '') }, t('forgot.back'))),
    );
  },
});

// Staff sign-in (PRODUCT.md §11): identifier, password and the 6-digit TOTP
// code, then the customer search, or the view a lost session interrupted.
import { ApiError } from '../../lib/api.ts';
import { h, setFlash } from '../../lib/dom.ts';
import { bindForm, requireValue, showPasswords, textField } from '../../lib/form.ts';
import { pageURL } from '../../lib/paths.ts';
import { staffApi } from '../api.ts';
import { st } from '../i18n.ts';
import { totpCode } from '../model.ts';
import { safeStaffNext, staffURL } from '../paths.ts';
import { heading, markStaffSignedIn, type StaffCtx, type ViewSpec } from '../shell.ts';

const reasons = {
  expired: 'staff.login.reason.expired',
  signin: 'staff.login.reason.signin',
  logout: 'staff.login.reason.logout',
  'password-set': 'staff.login.reason.passwordSet',
} as const;

/** identifierKey hands the identifier from the set-password view to the sign-in, once. */
export const identifierKey = 'efacture.staffIdentifier';

export const loginView: ViewSpec = {
  view: '',
  title: 'staff.login.title',
  session: 'optional',
  render(ctx: StaffCtx) {
    const q = new URLSearchParams(location.search);
    const next = safeStaffNext(q.get('next'), ctx.spaceId);
    if (ctx.me) {
      // Already signed in: straight to work.
      location.replace(next ?? staffURL(ctx.spaceId, 'customers'));
      return;
    }
    const reason = q.get('reason') as keyof typeof reasons | null;
    let remembered = '';
    try {
      remembered = sessionStorage.getItem(identifierKey) ?? '';
    } catch {
      // Nothing to prefill.
    }
    const identifier = textField({ label: st('staff.login.identifier'), name: 'identifier', autocomplete: 'username', required: true, value: remembered, spellcheck: false, maxlength: 320 });
    const password = textField({ label: st('staff.login.password'), name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 256 });
    const code = textField({
      label: st('staff.login.code'), name: 'code', autocomplete: 'one-time-code', inputmode: 'numeric', required: true,
      spellcheck: false, maxlength: 9, hint: st('staff.login.codeHint'),
    });
    code.input.classList.add('code');
    const submit = h('button', { type: 'submit', class: 'btn primary' }, st('staff.login.submit'));
    const form = h('form', { class: 'form', 'aria-labelledby': 'login-title' });
    const ui = bindForm(form, {
      submit,
      validate: () => {
        const filled = [requireValue(identifier), requireValue(password), requireValue(code)].every(Boolean);
        if (code.input.value.trim() && !totpCode(code.input.value)) {
          code.error(st('staff.login.codeInvalid'));
          return false;
        }
        return filled;
      },
      run: async () => {
        const me = await staffApi.login(ctx.spaceId, identifier.input.value.trim(), password.input.value, totpCode(code.input.value)!);
        markStaffSignedIn(true);
        try {
          sessionStorage.removeItem(identifierKey);
        } catch {
          // Nothing to forget.
        }
        if (me.space.id !== ctx.spaceId) {
          setFlash(st('staff.login.otherSpace', { space: me.space.name }));
          location.assign(staffURL(me.space.id, 'customers'));
        } else {
          location.assign(next ?? staffURL(ctx.spaceId, 'customers'));
        }
        // Stay busy while the next view loads, so a second Enter does nothing.
        await new Promise(() => {});
      },
      onError: (err: ApiError) => {
        if (err.code === 'invalid_credentials') {
          // A code is good for 30 s and the password may be the wrong one: both are typed again.
          password.input.value = '';
          code.input.value = '';
        }
        return false;
      },
    });
    form.append(ui.element, identifier.wrap, password.wrap, showPasswords(st('staff.login.show'), [password.input]), code.wrap, h('div', { class: 'actions' }, submit));
    const head = heading(st('staff.login.title'), st('staff.login.intro', { space: ctx.space.name }));
    head[0].id = 'login-title';
    const notice = reason && reason in reasons
      ? h('p', { class: reason === 'expired' || reason === 'signin' ? 'message warning' : 'message success', role: 'status' }, st(reasons[reason]))
      : null;
    ctx.main.classList.add('narrow');
    ctx.main.append(...head, ctx.flash ? h('p', { class: 'message success', role: 'status' }, ctx.flash) : '', notice ?? '', form,
      h('p', { class: 'note' }, h('a', { href: pageURL(ctx.spaceId, '') }, st('staff.login.customerLink'))));
    (remembered ? password.input : identifier.input).focus();
  },
};

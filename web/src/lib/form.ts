// Form fields with their label, hint and error tied to the input
// (aria-describedby, aria-invalid), and one submit handler for every form:
// no double submit, progress after a short wait, API errors shown on their
// field or at the top of the form, in the user's language.
import { ApiError } from './api.ts';
import { h, replace, uid, type Child } from './dom.ts';
import { t, type Key } from './i18n.ts';

export interface Field<E extends HTMLInputElement | HTMLSelectElement = HTMLInputElement | HTMLSelectElement> {
  wrap: HTMLElement;
  input: E;
  /** error shows a message under the field (and marks it invalid), or clears it with null. */
  error(msg: Child | null): void;
}

interface Common {
  label: string;
  name: string;
  hint?: string;
  required?: boolean;
  /** optional adds "(optional)" to the label, for forms where most fields are required. */
  optional?: boolean;
}

function describe<E extends HTMLInputElement | HTMLSelectElement>(wrap: HTMLElement, input: E, hint?: string): Field<E> {
  const errId = uid('err');
  const ids: string[] = [];
  if (hint) {
    const hintId = uid('hint');
    ids.push(hintId);
    wrap.append(h('p', { class: 'hint', id: hintId }, hint));
  }
  const err = h('p', { class: 'field-error', id: errId, hidden: true });
  wrap.append(err);
  if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
  return {
    wrap,
    input,
    error(msg) {
      if (msg === null || msg === '') {
        err.hidden = true;
        err.replaceChildren();
        input.removeAttribute('aria-invalid');
        if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
        else input.removeAttribute('aria-describedby');
        return;
      }
      replace(err, msg);
      err.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', [errId, ...ids].join(' '));
    },
  };
}

export function textField(o: Common & {
  type?: string;
  autocomplete?: string;
  value?: string;
  inputmode?: string;
  spellcheck?: boolean;
  maxlength?: number;
}): Field<HTMLInputElement> {
  const id = uid(o.name);
  const input = h('input', {
    id, name: o.name, type: o.type ?? 'text', autocomplete: o.autocomplete, value: o.value ?? '',
    required: o.required ?? false, inputmode: o.inputmode, maxlength: o.maxlength,
    spellcheck: o.spellcheck === false ? 'false' : undefined,
    autocapitalize: o.type === 'email' || o.spellcheck === false ? 'none' : undefined,
  });
  const label = h('label', { for: id }, o.label, o.optional ? h('span', { class: 'optional' }, ' ', t('field.optional')) : null);
  const wrap = h('div', { class: 'field' }, label, input);
  return describe(wrap, input, o.hint);
}

export function selectField(o: Common & { options: { value: string; label: string }[]; value?: string }): Field<HTMLSelectElement> {
  const id = uid(o.name);
  const select = h('select', { id, name: o.name }, o.options.map((op) => h('option', { value: op.value, selected: op.value === o.value }, op.label)));
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, o.label), select);
  return describe(wrap, select, o.hint);
}

export function checkField(o: Common & { checked?: boolean; disabled?: boolean }): Field<HTMLInputElement> {
  const id = uid(o.name);
  const input = h('input', { id, name: o.name, type: 'checkbox', checked: o.checked ?? false, disabled: o.disabled ?? false });
  const wrap = h('div', { class: 'field check' }, input, h('label', { for: id }, o.label));
  return describe(wrap, input, o.hint);
}

/** showPasswords adds a box that shows or hides the given password inputs. */
export function showPasswords(label: string, inputs: HTMLInputElement[]): HTMLElement {
  const f = checkField({ label, name: 'show-passwords' });
  f.input.addEventListener('change', () => {
    for (const i of inputs) i.type = f.input.checked ? 'text' : 'password';
  });
  return f.wrap;
}

/** policyMessage lists the password rules an API refusal names, in the user's language. */
export function policyMessage(err: ApiError): Child {
  const rules = (err.rules ?? []).filter((r) => `pw.rule.${r}` in ruleKeys);
  if (!rules.length) return err.message;
  return [t('pw.rules'), h('ul', null, rules.map((r) => h('li', null, t(`pw.rule.${r}` as Key))))];
}

const ruleKeys: Record<string, true> = Object.fromEntries(
  ['too_short', 'too_long', 'needs_upper', 'needs_digit', 'needs_special', 'common', 'contains_identifier'].map((r) => [`pw.rule.${r}`, true]),
);

export interface SubmitOptions {
  submit: HTMLButtonElement;
  /** fields by API field name, for errors that name a field. */
  fields?: Record<string, Field>;
  /** where password policy, mismatch and wrong current password errors go. */
  passwordField?: Field;
  confirmationField?: Field;
  currentPasswordField?: Field;
  /** validate checks the form before any call; it marks its own fields and returns false to stop. */
  validate?: () => boolean;
  /** onError handles an error itself when it returns true. */
  onError?: (err: ApiError) => boolean;
  run: () => Promise<void>;
}

/** FormUI is the message area of a form: an alert for errors, a status for progress and success. */
export interface FormUI {
  element: HTMLElement;
  alert(msg: Child | null): void;
  status(msg: Child | null): void;
  clearFieldErrors(): void;
}

/** bindForm wires a form's submission; it returns the form's message area, to place in the form. */
export function bindForm(form: HTMLFormElement, o: SubmitOptions): FormUI {
  const alertEl = h('div', { class: 'message error', role: 'alert', tabindex: '-1', hidden: true });
  const statusEl = h('div', { class: 'message status', role: 'status' });
  const element = h('div', { class: 'form-messages' }, alertEl, statusEl);
  const all = () => [...Object.values(o.fields ?? {}), o.passwordField, o.confirmationField, o.currentPasswordField].filter((f): f is Field => !!f);
  const ui: FormUI = {
    element,
    alert(msg) {
      if (msg === null) {
        alertEl.hidden = true;
        alertEl.replaceChildren();
        return;
      }
      replace(alertEl, msg);
      alertEl.hidden = false;
    },
    status(msg) {
      replace(statusEl, msg ?? '');
    },
    clearFieldErrors() {
      for (const f of all()) f.error(null);
    },
  };
  let busy = false;
  form.noValidate = true;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    // One call at a time: a second click or Enter while one runs does nothing.
    if (busy) return;
    ui.alert(null);
    ui.status(null);
    ui.clearFieldErrors();
    if (o.validate && !o.validate()) {
      focusFirstInvalid(form, alertEl);
      return;
    }
    busy = true;
    form.setAttribute('aria-busy', 'true');
    o.submit.setAttribute('aria-disabled', 'true');
    const slow = setTimeout(() => ui.status(h('span', { class: 'spinner' }, t('wait'))), 400);
    try {
      await o.run();
    } catch (err) {
      ui.status(null);
      if (!(err instanceof ApiError)) throw err;
      if (!(o.onError && o.onError(err))) showError(err, o, ui);
      focusFirstInvalid(form, alertEl);
    } finally {
      clearTimeout(slow);
      busy = false;
      form.removeAttribute('aria-busy');
      o.submit.removeAttribute('aria-disabled');
      if (statusEl.querySelector('.spinner')) ui.status(null);
    }
  });
  return ui;
}

function showError(err: ApiError, o: SubmitOptions, ui: FormUI): void {
  switch (err.code) {
    case 'password_policy':
      if (o.passwordField) return o.passwordField.error(policyMessage(err));
      break;
    case 'password_mismatch':
      if (o.confirmationField) return o.confirmationField.error(err.message);
      break;
    case 'wrong_password':
      if (o.currentPasswordField) return o.currentPasswordField.error(err.message);
      break;
  }
  const f = err.field ? o.fields?.[err.field] : undefined;
  if (f) return f.error(err.message);
  ui.alert(err.message);
}

function focusFirstInvalid(form: HTMLFormElement, alertEl: HTMLElement): void {
  const bad = form.querySelector<HTMLElement>('[aria-invalid="true"]');
  if (bad) bad.focus();
  else if (!alertEl.hidden) alertEl.focus();
}

/** requireValue marks an empty required field and returns whether it has a value. */
export function requireValue(f: Field): boolean {
  if (f.input.value.trim() !== '') return true;
  f.error(t('field.required'));
  return false;
}

/** button builds a button; kind "primary" gets the brand colour. */
export function button(label: Child, attrs: Record<string, string | boolean | ((ev: Event) => void) | undefined> = {}, kind: 'primary' | 'secondary' | 'link' = 'secondary'): HTMLButtonElement {
  return h('button', { type: 'button', class: `btn ${kind}`, ...attrs }, label);
}

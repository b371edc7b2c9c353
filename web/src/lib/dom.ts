// A tiny element builder. Text always goes in as text nodes, never as HTML,
// and no inline style is ever set, so the strict CSP holds.

export type Child = Node | string | number | null | undefined | false | Child[];
type Value = string | number | boolean | null | undefined;
export type Attrs = Record<string, Value | ((ev: Event) => void)>;

// Properties rather than attributes, so that they reflect the live state.
const props = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'required', 'multiple', 'open']);

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false && !props.has(k)) continue;
      if (typeof v === 'function') {
        el.addEventListener(k.replace(/^on/, ''), v);
      } else if (k === 'style') {
        throw new Error('inline styles break the CSP: use a class');
      } else if (props.has(k)) {
        (el as unknown as Record<string, Value>)[k] = v;
      } else {
        el.setAttribute(k === 'className' ? 'class' : k, v === true ? '' : String(v));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** replace empties el and fills it with children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

let counter = 0;

/** uid returns an id unique in the page, for label and description links. */
export function uid(prefix = 'id'): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** announcer is the page's polite live region, for status that is not next to focus. */
let announcer: HTMLElement | null = null;

export function announce(text: string): void {
  if (!announcer) {
    announcer = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
    document.body.append(announcer);
  }
  // Emptied first, so the same text twice is read twice.
  announcer.textContent = '';
  const target = announcer;
  setTimeout(() => (target.textContent = text), 50);
}

const flashKey = 'efacture.flash';

/** setFlash keeps a message for the next page this tab shows. */
export function setFlash(text: string): void {
  try {
    sessionStorage.setItem(flashKey, text);
  } catch {
    // Lost message: the action itself worked.
  }
}

/** takeFlash returns the pending message once, then forgets it. */
export function takeFlash(): string | null {
  try {
    const v = sessionStorage.getItem(flashKey);
    sessionStorage.removeItem(flashKey);
    return v;
  } catch {
    return null;
  }
}

// Open a document from a no-login link of a digest mail (PRODUCT.md §5, §6). Mails
// link here, not to the API: a click from webmail is cross-site, which the API
// refuses for a request that counts a use; this page asks the API same-origin,
// then opens the file. The token travels in the URL fragment, which browsers
// never send; the page takes it out of the address bar at once and keeps it in
// this tab only, so a reload still works.
import { api, ApiError } from '../lib/api.ts';
import { h, replace } from '../lib/dom.ts';
import { reloadOnNewToken, takeToken } from '../lib/fragment.ts';
import { t, type Key } from '../lib/i18n.ts';
import { pageURL } from '../lib/paths.ts';
import { pageHeading, start, type Ctx } from '../lib/shell.ts';

const token = takeToken('efacture.link');
reloadOnNewToken();

// What the page shows. It survives a redraw (a language switch), which must not
// spend another use of the link.
// A failure keeps its key, so a redraw shows it in the new language.
type State = { kind: 'opening' } | { kind: 'started' } | { kind: 'failed'; key: Key; text?: string };
let state: State = { kind: 'opening' };
let opened = false;

/** open asks the API for the file (one use of the link) and starts its download. */
async function open(ctx: Ctx, body: HTMLElement): Promise<void> {
  state = { kind: 'opening' };
  show(ctx, body);
  try {
    const { url } = await api.followLink(token);
    state = { kind: 'started' };
    show(ctx, body);
    // The file is an attachment: the browser downloads it and this page stays.
    location.assign(url);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    state = failure(e);
    show(ctx, body);
  }
}

function failure(e: ApiError): State {
  switch (e.status) {
    case 410:
      return { kind: 'failed', key: 'link.gone' };
    case 429:
      return { kind: 'failed', key: 'link.tooMany' };
    case 0:
      return { kind: 'failed', key: 'link.error', text: e.message }; // the network is down
    default:
      return { kind: 'failed', key: 'link.error' };
  }
}

function show(ctx: Ctx, body: HTMLElement): void {
  const signIn = h('p', null, h('a', { href: pageURL(ctx.spaceId, '') }, t('link.signIn')));
  switch (state.kind) {
    case 'opening':
      replace(body, h('p', { class: 'spinner' }, t('link.opening')));
      return;
    case 'started': {
      const again = h('button', { type: 'button', class: 'btn primary' }, t('link.again'));
      again.addEventListener('click', () => void open(ctx, body));
      replace(body, h('p', { class: 'message success', role: 'status' }, t('link.started')), h('div', { class: 'actions' }, again));
      return;
    }
    case 'failed':
      replace(body, h('p', { class: 'message error', role: 'alert' }, state.text ?? t(state.key)), signIn);
  }
}

void start({
  page: 'link',
  title: 'link.title',
  session: 'none',
  async render(ctx) {
    ctx.main.classList.add('narrow');
    ctx.main.append(...pageHeading(t('link.title')));
    const body = h('div', { 'aria-live': 'polite' });
    ctx.main.append(body);
    if (!token) {
      state = { kind: 'failed', key: 'link.noToken' };
    }
    if (opened || !token) {
      show(ctx, body);
      return;
    }
    opened = true;
    await open(ctx, body);
  },
});

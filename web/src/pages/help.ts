// Help (PRODUCT.md §6.7): the FAQ's answers adapted to this portal, open to
// everyone (signed in or not), in the page's language.
import { h } from '../lib/dom.ts';
import { formatDate } from '../lib/format.ts';
import { fill, lang, t } from '../lib/i18n.ts';
import { pageURL } from '../lib/paths.ts';
import { pageHeading, start } from '../lib/shell.ts';
import type { Block, QA } from '../help/content.ts';

void start({
  page: 'help',
  title: 'help.title',
  session: 'optional',
  async render(ctx) {
    // Only the language shown is loaded.
    const { help } = lang() === 'en' ? await import('../help/en.ts') : await import('../help/fr.ts');
    const vars = { space: ctx.space.name, since: formatDate(ctx.space.since) };
    const text = (s: string) => fill(s, vars);
    const byId = new Map(help.map((qa: QA) => [qa.id, qa]));
    const block = (b: Block): HTMLElement => {
      if (typeof b === 'string') return h('p', null, text(b));
      if ('list' in b) return h('ul', null, b.list.map((li) => h('li', null, text(li))));
      if ('see' in b) {
        const links = b.see.map((id) => byId.get(id)).filter((x): x is QA => !!x);
        return h('p', { class: 'see' }, t('help.see'),
          links.map((qa, i) => [i ? ' · ' : '', h('a', { href: `#${qa.id}` }, text(qa.q))]));
      }
      return h('p', null, h('a', { href: pageURL(ctx.spaceId, b.page) }, text(b.text)));
    };
    ctx.main.append(
      ...pageHeading(t('help.title'), t('help.intro', { space: ctx.space.name })),
      h('nav', { class: 'toc', 'aria-labelledby': 'toc-title' },
        h('h2', { id: 'toc-title' }, t('help.toc')),
        h('ol', null, help.map((qa: QA) => h('li', null, h('a', { href: `#${qa.id}` }, text(qa.q)))))),
      ...help.map((qa: QA) => h('section', { class: 'qa', id: qa.id, 'aria-labelledby': `${qa.id}-q`, tabindex: '-1' },
        h('h2', { id: `${qa.id}-q` }, text(qa.q)),
        qa.a.map(block),
        h('p', { class: 'top' }, h('a', { href: '#toc-title' }, t('help.top'))))),
    );
    if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  },
});

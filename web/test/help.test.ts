// The help exists in both languages with the same questions in the same
// order, and every "see also" points at a question that exists.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Block, QA } from '../src/help/content.ts';
import { help as en } from '../src/help/en.ts';
import { help as fr } from '../src/help/fr.ts';

const shape = (b: Block) => (typeof b === 'string' ? 'p' : 'list' in b ? `list${b.list.length}` : 'see' in b ? `see:${b.see.join(',')}` : `page:${b.page}`);

test('same questions, same structure, in both languages', () => {
  assert.deepEqual(en.map((q) => q.id), fr.map((q) => q.id));
  for (let i = 0; i < fr.length; i++) {
    assert.deepEqual(en[i].a.map(shape), fr[i].a.map(shape), `answer ${fr[i].id}`);
  }
});

test('links resolve and ids are unique', () => {
  for (const help of [fr, en] as QA[][]) {
    const ids = new Set(help.map((q) => q.id));
    assert.equal(ids.size, help.length);
    for (const qa of help) {
      for (const b of qa.a) {
        if (typeof b !== 'string' && 'see' in b) for (const id of b.see) assert.ok(ids.has(id), `${qa.id} sees unknown ${id}`);
      }
    }
  }
});

test('placeholders are the supported ones', () => {
  const text = JSON.stringify([fr, en]);
  const names = new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
  assert.deepEqual([...names].sort(), ['since', 'space']);
});

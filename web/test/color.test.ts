// A space's brand colour always yields an AA contrast pair.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brandColors, contrast, parseHex } from '../src/lib/color.ts';

test('parseHex', () => {
  assert.deepEqual(parseHex('#0b5394'), [11, 83, 148]);
  assert.equal(parseHex('0b5394'), null);
  assert.equal(parseHex('#fff'), null);
  assert.equal(parseHex(undefined), null);
});

test('brandColors keeps a dark colour with white text', () => {
  assert.deepEqual(brandColors('#0b5394'), { bg: '#0b5394', fg: '#ffffff' });
});

test('brandColors falls back to the default for garbage', () => {
  assert.deepEqual(brandColors('red'), { bg: '#1f4e79', fg: '#ffffff' });
});

test('every colour gets at least 4.5:1', () => {
  for (const hex of ['#ffffff', '#f2c200', '#9fd3ff', '#8a4b08', '#777777', '#ff0000', '#00ff00', '#808080', '#000000', '#1f4e79']) {
    const { bg, fg } = brandColors(hex);
    const ratio = contrast(parseHex(bg)!, parseHex(fg === '#111111' ? '#111111' : fg)!);
    assert.ok(ratio >= 4.5, `${hex}: got ${bg} on ${fg}, ratio ${ratio.toFixed(2)}`);
  }
});

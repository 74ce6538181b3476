import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../random';
import { decodeMask, encodeMask } from './mask-codec';
import type { Mask } from './tensors';

test('masks round-trip through 1 bit per weight', () => {
  const rng = createRng(3);
  const mask: Mask = new Map();
  for (const [name, shape] of [
    ['a/kernel', [3, 3, 2, 5]],
    ['b/kernel', [13]],
    ['c/kernel', [64, 8]],
  ] as const) {
    const n = shape.reduce((x, y) => x * y, 1);
    mask.set(name, { shape: [...shape], keep: Uint8Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0)) });
  }
  const bytes = encodeMask(mask);
  const header = 12 + JSON.stringify({ tensors: [...mask].map(([name, m]) => ({ name, shape: m.shape })) }).length;
  assert.equal(bytes.length, header + Math.ceil(90 / 8) + Math.ceil(13 / 8) + 64);
  assert.deepEqual(decodeMask(bytes), mask);
});

test('truncated or foreign bytes are refused', () => {
  const mask: Mask = new Map([['a/kernel', { shape: [10], keep: new Uint8Array(10).fill(1) }]]);
  const bytes = encodeMask(mask);
  assert.throws(() => decodeMask(bytes.subarray(0, bytes.length - 1)), /runs past the end/);
  assert.throws(() => decodeMask(new TextEncoder().encode('{"json":true}')), /bad magic/);
});

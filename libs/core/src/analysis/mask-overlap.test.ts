import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomMaskLike } from '../pruning/random-prune';
import type { Mask } from '../pruning/tensors';
import { maskOverlap, overlapMatrix } from './mask-overlap';

const mask = (layers: Record<string, number[]>): Mask =>
  new Map(Object.entries(layers).map(([name, keep]) => [name, { shape: [keep.length], keep: Uint8Array.from(keep) }]));

test('overlap: the weights both keep over those either keeps, overall and per layer', () => {
  const a = mask({ fc1: [1, 1, 0, 0], fc2: [1, 0] });
  const b = mask({ fc1: [1, 0, 1, 0], fc2: [1, 0] });
  const overlap = maskOverlap(a, b);
  assert.equal(overlap.jaccard, 2 / 4);
  assert.deepEqual(overlap.layers, [
    { name: 'fc1', jaccard: 1 / 3 },
    { name: 'fc2', jaccard: 1 },
  ]);
  assert.equal(maskOverlap(a, a).jaccard, 1);
  assert.equal(maskOverlap(mask({ x: [0, 0] }), mask({ x: [0, 0] })).jaccard, 1, 'nothing kept by either');
  assert.throws(() => maskOverlap(a, mask({ fc1: [1, 1, 0, 0], fc3: [1, 0] })), /"fc2" is in one only/);
  assert.throws(() => maskOverlap(a, mask({ fc1: [1, 1, 0], fc2: [1, 0] })), /"fc1" has 4 weights in one mask, 3/);
});

test('random masks at density d overlap by about d / (2 - d): the line real tickets are read against', () => {
  const dense = mask({ w: Array.from({ length: 20000 }, (_, i) => (i % 5 < 2 ? 1 : 0)) }); // density 0.4
  const [r1, r2] = [randomMaskLike(dense, 1), randomMaskLike(dense, 2)];
  const { jaccard } = maskOverlap(r1, r2);
  assert.ok(Math.abs(jaccard - 0.4 / 1.6) < 0.01, `jaccard ${jaccard}`);
  const matrix = overlapMatrix([
    { label: 'a', mask: r1 },
    { label: 'b', mask: r2 },
  ]);
  assert.deepEqual(matrix.labels, ['a', 'b']);
  assert.equal(matrix.jaccard[0]![0], 1);
  assert.equal(matrix.jaccard[0]![1], matrix.jaccard[1]![0]);
});

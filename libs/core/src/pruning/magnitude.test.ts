import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../random';
import { denseMask, pruneByMagnitude, pruneLikeMask } from './magnitude';
import { randomMaskLike, reversedMask } from './random-prune';
import { maskStats } from './sparsity';
import { countKept, type Mask, type WeightTensor } from './tensors';
import type { PruningPolicy } from './policy';

const policy = (over: Partial<PruningPolicy> = {}): PruningPolicy => ({
  strategy: 'global',
  rate: 0.2,
  excludePatterns: [],
  pruneStem: false,
  ...over,
});

function tensor(name: string, shape: number[], seed: number, scale = 1): WeightTensor {
  const rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.normal() * scale;
  return { name, shape, values };
}

const model = (): WeightTensor[] => [
  tensor('stem/kernel', [3, 3, 1, 8], 1),
  tensor('stem_bn/gamma', [8], 2),
  tensor('fc1/kernel', [100, 50], 3),
  tensor('fc1/bias', [50], 4),
  tensor('fc2/kernel', [50, 40], 5, 10),
  tensor('head/kernel', [40, 10], 6),
  tensor('head/bias', [10], 7),
];

test('prunes exactly round(rate * remaining) weights, only from prunable kernels', () => {
  const weights = model();
  const mask = pruneByMagnitude(weights, undefined, policy());
  assert.deepEqual([...mask.keys()], ['fc1/kernel', 'fc2/kernel']);
  const stats = maskStats(mask);
  assert.equal(stats.prunable, 5000 + 2000);
  assert.equal(stats.remaining, 7000 - 1400);
});

test('global magnitude removes the smallest magnitudes across layers', () => {
  const weights = model();
  const mask = pruneByMagnitude(weights, undefined, policy());
  let maxPruned = 0;
  let minKept = Infinity;
  for (const w of weights) {
    const m = mask.get(w.name);
    if (!m) continue;
    w.values.forEach((v, i) => {
      if (m.keep[i]) minKept = Math.min(minKept, Math.abs(v));
      else maxPruned = Math.max(maxPruned, Math.abs(v));
    });
  }
  assert.ok(maxPruned <= minKept, `pruned ${maxPruned} > kept ${minKept}`);
  // fc2 has 10x larger weights, so a global threshold spares almost all of it.
  const fc2 = maskStats(mask).layers.find((l) => l.name === 'fc2/kernel')!;
  assert.ok(fc2.sparsity < 0.05, `fc2 sparsity ${fc2.sparsity}`);
});

test('layerwise prunes the rate from every layer', () => {
  const mask = pruneByMagnitude(model(), undefined, policy({ strategy: 'layerwise' }));
  for (const l of maskStats(mask).layers) assert.equal(l.remaining, Math.round(l.total * 0.8));
});

test('masks only lose weights and density after k rounds is 0.8^k within one weight per tensor', () => {
  const weights = model();
  let mask: Mask | undefined;
  for (let k = 1; k <= 10; k++) {
    const next = pruneByMagnitude(weights, mask, policy());
    if (mask) {
      for (const [name, m] of next) {
        const prev = mask.get(name)!;
        m.keep.forEach((bit, i) => assert.ok(bit <= prev.keep[i]!, `${name}[${i}] came back in round ${k}`));
      }
    }
    mask = next;
    const stats = maskStats(mask);
    const expected = stats.prunable * Math.pow(0.8, k);
    assert.ok(Math.abs(stats.remaining - expected) <= mask.size * k, `round ${k}: ${stats.remaining} vs ${expected}`);
  }
});

test('ties are broken by position, deterministically', () => {
  const w: WeightTensor[] = [
    { name: 'a/kernel', shape: [4], values: new Float32Array([1, 1, 1, 1]) },
    { name: 'b/kernel', shape: [4], values: new Float32Array([1, 1, 1, 1]) },
  ];
  const mask = pruneByMagnitude(w, undefined, policy({ rate: 0.25 }));
  assert.deepEqual([...mask.get('a/kernel')!.keep], [0, 0, 1, 1]);
  assert.deepEqual([...mask.get('b/kernel')!.keep], [1, 1, 1, 1]);
  assert.deepEqual(pruneByMagnitude(w, undefined, policy({ rate: 0.25 })), mask);
});

test('excluded layers and the stem are untouched unless asked', () => {
  const excl = pruneByMagnitude(model(), undefined, policy({ excludePatterns: ['^fc2/'] }));
  assert.deepEqual([...excl.keys()], ['fc1/kernel']);
  const withStem = pruneByMagnitude(model(), undefined, policy({ pruneStem: true }));
  assert.ok(withStem.has('stem/kernel'));
  assert.throws(() => pruneByMagnitude(model(), undefined, policy({ excludePatterns: ['.'] })), /no prunable weights/);
});

test('random baseline keeps the same count per layer, at other positions, fixed by the seed', () => {
  const mask = pruneByMagnitude(model(), pruneByMagnitude(model(), undefined, policy()), policy());
  const random = randomMaskLike(mask, 7);
  for (const [name, m] of mask) {
    assert.equal(countKept(random.get(name)!.keep), countKept(m.keep), name);
  }
  assert.notDeepEqual(random.get('fc1/kernel')!.keep, mask.get('fc1/kernel')!.keep);
  assert.deepEqual(randomMaskLike(mask, 7), random);
  assert.notDeepEqual(randomMaskLike(mask, 8).get('fc1/kernel')!.keep, random.get('fc1/kernel')!.keep);
});

test('global random baseline keeps the same total, spread over the layers, fixed by the seed', () => {
  const mask = pruneByMagnitude(model(), undefined, policy({ strategy: 'layerwise', rate: 0.6 }));
  const random = randomMaskLike(mask, 7, 'global');
  assert.equal(maskStats(random).remaining, maskStats(mask).remaining);
  assert.deepEqual([...random.keys()], [...mask.keys()]);
  // fc1 holds 5000 of 7000 prunable weights: about 5000 * 0.4 survive there, not exactly the ticket's count.
  const fc1 = countKept(random.get('fc1/kernel')!.keep);
  assert.ok(Math.abs(fc1 - 2000) < 150, `fc1 keeps ${fc1}`);
  assert.deepEqual(randomMaskLike(mask, 7, 'global'), random);
  assert.notDeepEqual(randomMaskLike(mask, 8, 'global'), random);
});

test('reversed mask keeps exactly what the ticket pruned', () => {
  const mask = pruneByMagnitude(model(), undefined, policy());
  const reversed = reversedMask(mask);
  for (const [name, m] of mask) {
    const r = reversed.get(name)!.keep;
    assert.ok(
      m.keep.every((k, i) => k + r[i]! === 1),
      name,
    );
  }
  assert.ok(Math.abs(maskStats(reversed).sparsity - 0.8) < 1e-9);
});

test('one-shot pruning reaches the ticket sparsity in one step, by magnitude', () => {
  const weights = model();
  let ticket = pruneByMagnitude(weights, undefined, policy());
  for (let i = 0; i < 3; i++)
    ticket = pruneByMagnitude(
      model().map((w) => ({ ...w, values: w.values.map((v) => v * (1 + i)) })),
      ticket,
      policy(),
    );
  const global = pruneLikeMask(weights, ticket, 'global');
  assert.equal(maskStats(global).remaining, maskStats(ticket).remaining);
  // One global threshold over the dense weights: every survivor is at least as large as every pruned one.
  let smallestKept = Infinity;
  let largestPruned = 0;
  for (const w of weights) {
    const keep = global.get(w.name)?.keep;
    if (!keep) continue;
    w.values.forEach((v, i) => {
      if (keep[i]) smallestKept = Math.min(smallestKept, Math.abs(v));
      else largestPruned = Math.max(largestPruned, Math.abs(v));
    });
  }
  assert.ok(smallestKept >= largestPruned);
  const layerwise = pruneLikeMask(weights, ticket, 'layerwise');
  for (const [name, m] of ticket) assert.equal(countKept(layerwise.get(name)!.keep), countKept(m.keep), name);
});

test('dense mask keeps everything prunable', () => {
  const stats = maskStats(denseMask(model(), policy()));
  assert.equal(stats.sparsity, 0);
  assert.equal(stats.remaining, 7000);
});

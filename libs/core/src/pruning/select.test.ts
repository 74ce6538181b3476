import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../random';
import { pruneByMagnitude } from './magnitude';
import { bitsOf, pruneSmallestMagnitudes } from './select';
import { countKept, type WeightTensor } from './tensors';

/** What pruning must do, by the obvious method: order the kept weights by (magnitude, position), drop the first. */
function sortedPrune(tensors: { values: Float32Array; keep: Uint8Array }[], count: number): Uint8Array[] {
  const kept: { m: number; t: number; i: number }[] = [];
  tensors.forEach(({ values, keep }, t) => values.forEach((v, i) => keep[i] && kept.push({ m: Math.abs(v), t, i })));
  kept.sort((a, b) => a.m - b.m || a.t - b.t || a.i - b.i);
  const out = tensors.map((x) => x.keep.slice());
  for (const { t, i } of kept.slice(0, count)) out[t]![i] = 0;
  return out;
}

test('radix pruning equals a full sort, with ties, zeros, -0, subnormals and huge values', () => {
  const rng = createRng(11);
  const special = [0, -0, 1e-45, -1e-45, 1e-38, 3.4e38, -3.4e38, 0.5, -0.5, 0.5];
  for (let trial = 0; trial < 20; trial++) {
    const tensors = [0, 1, 2].map(() => {
      const values = Float32Array.from({ length: 200 + rng.int(300) }, () =>
        rng.next() < 0.2 ? special[rng.int(special.length)]! : rng.normal() * 10 ** (rng.int(6) - 3),
      );
      const keep = Uint8Array.from(values, () => (rng.next() < 0.8 ? 1 : 0));
      return { values, keep };
    });
    const kept = tensors.reduce((n, t) => n + countKept(t.keep), 0);
    for (const count of [1, 2, 1 + rng.int(kept - 1), kept]) {
      const want = sortedPrune(tensors, count);
      const got = tensors.map((t) => ({ bits: bitsOf(t.values), keep: t.keep.slice() }));
      pruneSmallestMagnitudes(got, count);
      got.forEach((g, t) => assert.deepEqual(g.keep, want[t], `trial ${trial}, count ${count}, tensor ${t}`));
    }
  }
});

test('global pruning removes exactly the smallest, ties broken by position, as a full sort does', () => {
  const rng = createRng(4);
  const weights: WeightTensor[] = [0, 1, 2, 3].map((i) => ({
    name: `l${i}/kernel`,
    shape: [1000],
    // Values on a coarse grid: many exact ties at every threshold.
    values: Float32Array.from({ length: 1000 }, () => Math.round(rng.normal() * 8) / 8),
  }));
  const policy = { strategy: 'global' as const, rate: 0.2, excludePatterns: [], pruneStem: false };
  let mask = pruneByMagnitude(weights, undefined, policy);
  for (let round = 1; round <= 5; round++) {
    // The reference: every kept weight ordered by (magnitude, tensor, index); the first 20% go.
    const kept: { m: number; t: number; i: number }[] = [];
    weights.forEach((w, t) =>
      w.values.forEach((v, i) => mask.get(w.name)!.keep[i] && kept.push({ m: Math.abs(v), t, i })),
    );
    kept.sort((a, b) => a.m - b.m || a.t - b.t || a.i - b.i);
    const pruned = new Set(kept.slice(0, Math.round(0.2 * kept.length)).map((e) => `${e.t}/${e.i}`));
    const next = pruneByMagnitude(weights, mask, policy);
    weights.forEach((w, t) =>
      w.values.forEach((_, i) => {
        const expected = mask.get(w.name)!.keep[i] && !pruned.has(`${t}/${i}`) ? 1 : 0;
        assert.equal(next.get(w.name)!.keep[i], expected, `round ${round}: ${w.name}[${i}]`);
      }),
    );
    mask = next;
  }
});

test('countKept counts kept bytes at any length and offset (four at a time where aligned)', () => {
  const rng = createRng(9);
  const buffer = Uint8Array.from({ length: 1031 }, () => (rng.next() < 0.7 ? 1 : 0));
  for (const [start, end] of [
    [0, 1031],
    [0, 1028],
    [1, 1030],
    [3, 7],
    [4, 4],
  ] as const) {
    const keep = buffer.subarray(start, end);
    assert.equal(countKept(keep), [...keep].filter((b) => b === 1).length, `[${start}, ${end})`);
  }
});

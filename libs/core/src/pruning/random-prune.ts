import { createRng, deriveSeed } from '../random';
import { countKept, type Mask } from './tensors';

/** Marks `kept` of the positions [0, n) drawn uniformly without replacement (a partial Fisher-Yates shuffle). */
function sampleKept(n: number, kept: number, seed: number, mark: (position: number) => void): void {
  const rng = createRng(seed);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = 0; i < kept; i++) {
    const j = i + rng.int(n - i);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
    mark(order[i]!);
  }
}

/**
 * The random-pruning baselines. `layerwise`: each tensor keeps as many weights as the reference mask's
 * does, at positions drawn from the seed. `global`: as many weights as the whole reference keeps, drawn
 * anywhere among its tensors (so layers end up with about the reference's overall density each).
 */
export function randomMaskLike(reference: Mask, seed: number, scope: 'layerwise' | 'global' = 'layerwise'): Mask {
  const out: Mask = new Map();
  if (scope === 'layerwise') {
    for (const [name, ref] of reference) {
      const keep = new Uint8Array(ref.keep.length);
      sampleKept(keep.length, countKept(ref.keep), deriveSeed(seed, name), (p) => (keep[p] = 1));
      out.set(name, { shape: [...ref.shape], keep });
    }
    return out;
  }
  const tensors = [...reference].map(([name, ref]) => ({
    name,
    shape: ref.shape,
    keep: new Uint8Array(ref.keep.length),
  }));
  const starts: number[] = [];
  let total = 0;
  let kept = 0;
  for (const [, ref] of reference) {
    starts.push(total);
    total += ref.keep.length;
    kept += countKept(ref.keep);
  }
  sampleKept(total, kept, deriveSeed(seed, 'global'), (p) => {
    // Positions arrive in random order: find the tensor by binary search over the start offsets.
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= p) lo = mid;
      else hi = mid - 1;
    }
    tensors[lo]!.keep[p - starts[lo]!] = 1;
  });
  for (const { name, shape, keep } of tensors) out.set(name, { shape: [...shape], keep });
  return out;
}

/** The reversed-mask baseline: keeps exactly the prunable weights the reference pruned. */
export function reversedMask(reference: Mask): Mask {
  const out: Mask = new Map();
  for (const [name, ref] of reference) {
    const keep = new Uint8Array(ref.keep.length);
    for (let i = 0; i < keep.length; i++) keep[i] = 1 - ref.keep[i]!;
    out.set(name, { shape: [...ref.shape], keep });
  }
  return out;
}

import { createRng, deriveSeed } from '../random';
import { countKept, type Mask } from './tensors';

/**
 * The random-pruning baseline: for each tensor, keeps as many weights as the reference mask
 * does, at positions drawn from the seed.
 */
export function randomMaskLike(reference: Mask, seed: number): Mask {
  const out: Mask = new Map();
  for (const [name, ref] of reference) {
    const n = ref.keep.length;
    const kept = countKept(ref.keep);
    const rng = createRng(deriveSeed(seed, name));
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const keep = new Uint8Array(n);
    // Partial Fisher-Yates: the first `kept` slots are a uniform sample without replacement.
    for (let i = 0; i < kept; i++) {
      const j = i + rng.int(n - i);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
      keep[order[i]!] = 1;
    }
    out.set(name, { shape: [...ref.shape], keep });
  }
  return out;
}

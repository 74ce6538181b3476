/**
 * The threshold of magnitude pruning over tens of millions of weights, found by radix selection
 * on the bits of |w|: for non-negative float32 values the IEEE 754 bit patterns, read as unsigned
 * integers, sort exactly as the numbers do. Two counting passes (the top 16 bits, then the low 16
 * bits within the one bucket that holds the k-th) find it without copying or reordering anything.
 */
export interface MagnitudeThreshold {
  /** Bits of the k-th smallest magnitude (0-based) among the kept weights. */
  bits: number;
  /** Kept weights strictly below it: the weights at `bits` fill the rest of the k + 1. */
  below: number;
}

const ABS = 0x7fffffff;

/** The float32 bits of each weight: a view, not a copy. */
export function bitsOf(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** The k-th smallest magnitude (0-based) of the kept entries of these tensors. */
export function magnitudeThreshold(
  tensors: readonly { bits: Uint32Array; keep: Uint8Array }[],
  k: number,
): MagnitudeThreshold {
  // Counts add keep[i] (0 or 1) rather than branch on it: which weights are kept is close to
  // random, and a mispredicted branch per weight costs more than the add.
  const high = new Uint32Array(65536);
  for (const { bits, keep } of tensors) for (let i = 0; i < bits.length; i++) high[(bits[i]! & ABS) >>> 16] += keep[i]!;
  const [top, belowTop] = bucketOf(high, k);
  // Few weights fall in the one bucket: this branch is almost never taken.
  const low = new Uint32Array(65536);
  for (const { bits, keep } of tensors) {
    for (let i = 0; i < bits.length; i++) {
      const a = bits[i]! & ABS;
      if (a >>> 16 === top) low[a & 0xffff] += keep[i]!;
    }
  }
  const [bottom, belowBottom] = bucketOf(low, k - belowTop);
  return { bits: ((top << 16) | bottom) >>> 0, below: belowTop + belowBottom };
}

/** The bucket holding the k-th counted item (0-based), and how many items lie in lower buckets. */
function bucketOf(counts: Uint32Array, k: number): [number, number] {
  let below = 0;
  for (let b = 0; b < counts.length; b++) {
    if (below + counts[b]! > k) return [b, below];
    below += counts[b]!;
  }
  throw new RangeError(`k = ${k} is beyond the ${below} counted values`);
}

/**
 * Magnitude pruning over tens of millions of weights by radix selection on the bits of |w|: for
 * non-negative float32 values the IEEE 754 bit patterns, read as unsigned integers, sort exactly as
 * the numbers do. One counting pass over the top 16 bits finds the bucket that holds the threshold;
 * a second pass prunes everything below that bucket, keeps everything above it, and collects the few
 * weights inside it, among which the low 16 bits settle the threshold. Nothing is copied or sorted.
 */
export interface KeptBits {
  /** The float32 bits of each weight (bitsOf). */
  bits: Uint32Array;
  /** 1 keeps a weight, 0 prunes it; updated in place. */
  keep: Uint8Array;
}

const ABS = 0x7fffffff;

/** The float32 bits of each weight: a view, not a copy. */
export function bitsOf(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/**
 * Prunes exactly `count` of the kept weights, those of smallest magnitude; ties at the threshold go
 * in position order (tensor order, then index), so the result is the one a full sort would give.
 */
export function pruneSmallestMagnitudes(tensors: readonly KeptBits[], count: number): void {
  if (count <= 0) return;
  const k = count - 1;
  // Counts add keep[i] (0 or 1) rather than branch on it: which weights are kept is close to random,
  // and a mispredicted branch per weight costs more than the add.
  const high = new Uint32Array(65536);
  for (const { bits, keep } of tensors) for (let i = 0; i < bits.length; i++) high[(bits[i]! & ABS) >>> 16] += keep[i]!;
  const [top, belowTop] = bucketOf(high, k);
  const low = new Uint32Array(65536);
  const inBucket: number[] = []; // pairs: tensor, index, in position order
  tensors.forEach(({ bits, keep }, t) => {
    for (let i = 0; i < bits.length; i++) {
      const bucket = (bits[i]! & ABS) >>> 16;
      if (bucket === top) {
        // Few weights fall in the one bucket: this branch is almost never taken.
        if (keep[i]) {
          low[bits[i]! & 0xffff]++;
          inBucket.push(t, i);
        }
        continue;
      }
      // Branch-free: kept only if kept before and above the bucket ((top - bucket) >>> 31 is bucket > top).
      keep[i] = keep[i]! & ((top - bucket) >>> 31);
    }
  });
  const [bottom, belowBottom] = bucketOf(low, k - belowTop);
  const threshold = ((top << 16) | bottom) >>> 0;
  let tiesToPrune = count - belowTop - belowBottom;
  for (let j = 0; j < inBucket.length; j += 2) {
    const { bits, keep } = tensors[inBucket[j]!]!;
    const i = inBucket[j + 1]!;
    // |w| as bits: negative zero and zero are one value, as Math.abs makes them.
    const magnitude = bits[i]! & ABS;
    if (magnitude < threshold) keep[i] = 0;
    else if (magnitude === threshold && tiesToPrune > 0) {
      keep[i] = 0;
      tiesToPrune--;
    }
  }
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

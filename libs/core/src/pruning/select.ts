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
  const high = countHighBits(tensors);
  const [top, belowTop] = bucketOf(high, k);
  const low = new Uint32Array(65536);
  const inBucket: number[] = []; // pairs: tensor, index, in position order
  tensors.forEach(({ bits, keep }, t) => {
    /** Prunes or keeps weight i by its bucket; a weight in the threshold's bucket waits for the low bits. */
    const settle = (i: number, bucket: number) => {
      if (bucket === top) {
        if (keep[i]) {
          low[bits[i]! & 0xffff]++;
          inBucket.push(t, i);
        }
        return;
      }
      keep[i] = keep[i]! & ((top - bucket) >>> 31);
    };
    // Two weights a turn: the loop's own bookkeeping is then half the work it was.
    const pairs = bits.length & ~1;
    let i = 0;
    for (; i < pairs; i += 2) {
      const b0 = (bits[i]! & ABS) >>> 16;
      const b1 = (bits[i + 1]! & ABS) >>> 16;
      if (b0 === top || b1 === top) {
        // Few weights fall in the one bucket: this branch is almost never taken.
        settle(i, b0);
        settle(i + 1, b1);
        continue;
      }
      // Branch-free: kept only if kept before and above the bucket ((top - bucket) >>> 31 is bucket > top).
      keep[i] = keep[i]! & ((top - b0) >>> 31);
      keep[i + 1] = keep[i + 1]! & ((top - b1) >>> 31);
    }
    if (i < bits.length) settle(i, (bits[i]! & ABS) >>> 16);
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

/**
 * How many kept weights have each value of the top bits of |w| (15 of them: the sign is cleared).
 * Neighbouring weights often share a bucket, and an increment that waits for the one before it
 * stalls the loop: four histograms, one per position mod 4, keep consecutive increments apart.
 * Counts add keep[i] (0 or 1) rather than branch on it: which weights are kept is close to random,
 * and a mispredicted branch per weight costs more than the add.
 */
function countHighBits(tensors: readonly KeptBits[]): Uint32Array {
  const h0 = new Uint32Array(32768);
  const h1 = new Uint32Array(32768);
  const h2 = new Uint32Array(32768);
  const h3 = new Uint32Array(32768);
  for (const { bits, keep } of tensors) {
    const quads = bits.length & ~3;
    let i = 0;
    for (; i < quads; i += 4) {
      h0[(bits[i]! & ABS) >>> 16] += keep[i]!;
      h1[(bits[i + 1]! & ABS) >>> 16] += keep[i + 1]!;
      h2[(bits[i + 2]! & ABS) >>> 16] += keep[i + 2]!;
      h3[(bits[i + 3]! & ABS) >>> 16] += keep[i + 3]!;
    }
    for (; i < bits.length; i++) h0[(bits[i]! & ABS) >>> 16] += keep[i]!;
  }
  for (let b = 0; b < h0.length; b++) h0[b] = h0[b]! + h1[b]! + h2[b]! + h3[b]!;
  return h0;
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

import { InvalidArgumentError } from '../errors';
import { sizeOf, type WeightTensor } from '../pruning/tensors';

/** A weight as TF.js describes it in a weights manifest. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

/**
 * The TF.js weights format: a manifest of specs plus one binary buffer of float32 values
 * (little-endian) in spec order. Any TF.js program reads it with tf.io.decodeWeights.
 */
export function encodeWeights(weights: readonly WeightTensor[]): { specs: WeightSpec[]; data: Uint8Array } {
  const total = weights.reduce((n, w) => n + w.values.length, 0);
  const data = new Float32Array(total);
  const specs: WeightSpec[] = [];
  let offset = 0;
  for (const w of weights) {
    data.set(w.values, offset);
    offset += w.values.length;
    specs.push({ name: w.name, shape: [...w.shape], dtype: 'float32' });
  }
  return { specs, data: new Uint8Array(data.buffer) };
}

export function decodeWeights(
  specs: readonly { name: string; shape: number[]; dtype?: string }[],
  data: Uint8Array,
): WeightTensor[] {
  const out: WeightTensor[] = [];
  let offset = 0;
  for (const spec of specs) {
    if ((spec.dtype ?? 'float32') !== 'float32') {
      throw new InvalidArgumentError(`weight ${spec.name} is ${spec.dtype}; only float32 weights are supported`);
    }
    const n = sizeOf(spec.shape);
    if (offset + n * 4 > data.byteLength) throw new InvalidArgumentError(`weight data ends before ${spec.name}`);
    // Copy: the input buffer may not be 4-byte aligned.
    const values = new Float32Array(n);
    new Uint8Array(values.buffer).set(data.subarray(offset, offset + n * 4));
    out.push({ name: spec.name, shape: [...spec.shape], values });
    offset += n * 4;
  }
  if (offset !== data.byteLength)
    throw new InvalidArgumentError(
      `weight data has ${data.byteLength - offset} bytes more than the manifest describes`,
    );
  return out;
}

/** Zeroes the pruned weights (a ticket is weights and mask; this is their product). */
export function applyMask(
  weights: readonly WeightTensor[],
  mask: ReadonlyMap<string, { keep: Uint8Array }>,
): WeightTensor[] {
  return weights.map((w) => {
    const m = mask.get(w.name);
    if (!m) return w;
    const values = Float32Array.from(w.values);
    for (let i = 0; i < values.length; i++) if (!m.keep[i]) values[i] = 0;
    return { ...w, values };
  });
}

/** Weights as plain arrays: what the pure core prunes, independent of any tensor library. */
export interface WeightTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** 1 keeps a weight, 0 prunes it. */
export interface MaskTensor {
  shape: number[];
  keep: Uint8Array;
}

/** Covers the prunable tensors only; a tensor absent from the mask is dense. */
export type Mask = Map<string, MaskTensor>;

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function countKept(keep: Uint8Array): number {
  let n = 0;
  let i = 0;
  if (keep.byteOffset % 4 === 0) {
    // Four 0/1 bytes at a time: multiplying by 0x01010101 sums them into the top byte.
    const words = new Uint32Array(keep.buffer, keep.byteOffset, keep.length >>> 2);
    for (let w = 0; w < words.length; w++) n += Math.imul(words[w]!, 0x01010101) >>> 24;
    i = words.length * 4;
  }
  for (; i < keep.length; i++) n += keep[i]!;
  return n;
}

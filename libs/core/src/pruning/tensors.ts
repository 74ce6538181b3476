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
  for (let i = 0; i < keep.length; i++) n += keep[i]!;
  return n;
}

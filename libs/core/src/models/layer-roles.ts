/**
 * The one home of what a weight is for. Every model names its first convolution (or, for an MLP,
 * nothing) `stem` with its batch norm `stem_bn`, and its classifier `head`; every other layer is
 * the body. Pruning, fresh heads and fresh stems, imports and exports ask here, never by a
 * name test of their own.
 *
 * The pruning service sees weights by name only (it has no model), so roles travel with names.
 */
export const STEM = 'stem';
export const STEM_BN = 'stem_bn';
export const HEAD = 'head';

export type LayerRole = 'stem' | 'head' | 'body';

/** `layer3_1_conv2/kernel` -> `layer3_1_conv2`. */
export function layerOf(weightName: string): string {
  const slash = weightName.lastIndexOf('/');
  return slash < 0 ? weightName : weightName.slice(0, slash);
}

export function roleOf(weightName: string): LayerRole {
  const layer = layerOf(weightName);
  if (layer === HEAD) return 'head';
  if (layer === STEM || layer === STEM_BN) return 'stem';
  return 'body';
}

/** Convolution and dense kernels: the only weights IMP may prune. */
export const isKernel = (weightName: string): boolean => weightName.endsWith('/kernel');
export const isHead = (weightName: string): boolean => roleOf(weightName) === 'head';
export const isStem = (weightName: string): boolean => roleOf(weightName) === 'stem';

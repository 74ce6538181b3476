import { InvalidArgumentError } from '../errors';
import { quote } from '../quote';
import type { Mask } from '../pruning/tensors';

/** How much two tickets share: Jaccard of their surviving weights, overall and per layer. */
export interface MaskOverlap {
  /** |A ∩ B| / |A ∪ B| of the kept weights; 1 when neither keeps any. */
  jaccard: number;
  layers: { name: string; jaccard: number }[];
}

const ratio = (both: number, either: number) => (either === 0 ? 1 : both / either);

/**
 * The overlap of two masks of the same model (the paper compares masks of different pre-trainings at the
 * same round): the weights both keep over the weights either keeps. Masks over other tensors or shapes
 * are refused, naming the tensor.
 */
export function maskOverlap(a: Mask, b: Mask): MaskOverlap {
  if (a.size !== b.size || [...a.keys()].some((name) => !b.has(name))) {
    const only = [...a.keys()].find((n) => !b.has(n)) ?? [...b.keys()].find((n) => !a.has(n));
    throw new InvalidArgumentError(`the masks cover different tensors (${quote(only ?? '?')} is in one only)`);
  }
  let both = 0;
  let either = 0;
  const layers: MaskOverlap['layers'] = [];
  for (const [name, ta] of a) {
    const tb = b.get(name)!;
    if (ta.keep.length !== tb.keep.length)
      throw new InvalidArgumentError(
        `${quote(name)} has ${ta.keep.length} weights in one mask, ${tb.keep.length} in the other`,
      );
    let layerBoth = 0;
    let layerEither = 0;
    for (let i = 0; i < ta.keep.length; i++) {
      layerBoth += ta.keep[i]! & tb.keep[i]!;
      layerEither += ta.keep[i]! | tb.keep[i]!;
    }
    layers.push({ name, jaccard: ratio(layerBoth, layerEither) });
    both += layerBoth;
    either += layerEither;
  }
  return { jaccard: ratio(both, either), layers };
}

/** The overlap of every pair of labelled masks, as a symmetric matrix of overall Jaccard indices. */
export function overlapMatrix(masks: readonly { label: string; mask: Mask }[]): {
  labels: string[];
  jaccard: number[][];
} {
  const jaccard = masks.map((row, i) =>
    masks.map((column, j) => (i === j ? 1 : maskOverlap(row.mask, column.mask).jaccard)),
  );
  return { labels: masks.map((m) => m.label), jaccard };
}

import { FailedPreconditionError, InvalidArgumentError } from '../errors';
import { isPrunable, type PruningPolicy } from './policy';
import { bitsOf, pruneSmallestMagnitudes } from './select';
import { countKept, sizeOf, type Mask, type MaskTensor, type WeightTensor } from './tensors';
import { quote } from '../quote';

/** The mask that keeps every prunable weight. */
export function denseMask(weights: readonly WeightTensor[], policy: PruningPolicy): Mask {
  const mask: Mask = new Map();
  for (const w of weights) {
    if (isPrunable(w.name, policy))
      mask.set(w.name, { shape: [...w.shape], keep: new Uint8Array(w.values.length).fill(1) });
  }
  return mask;
}

interface Candidate {
  weight: WeightTensor;
  keep: Uint8Array;
}

function candidates(weights: readonly WeightTensor[], current: Mask | undefined, policy: PruningPolicy): Candidate[] {
  const out: Candidate[] = [];
  for (const weight of weights) {
    if (!isPrunable(weight.name, policy)) continue;
    const existing = current?.get(weight.name);
    if (existing && existing.keep.length !== weight.values.length) {
      throw new FailedPreconditionError(
        `mask tensor ${quote(weight.name)} has ${existing.keep.length} entries ` +
          `but the weight has ${weight.values.length}`,
      );
    }
    out.push({ weight, keep: existing ? existing.keep.slice() : new Uint8Array(weight.values.length).fill(1) });
  }
  return out;
}

/**
 * Removes exactly `count` of the kept weights of these tensors with the smallest magnitudes.
 * Ties at the threshold are broken by position (tensor order, then index), so the result
 * never depends on the selection algorithm.
 */
function pruneSmallest(group: Candidate[], count: number): void {
  pruneSmallestMagnitudes(
    group.map(({ weight, keep }) => ({ bits: bitsOf(weight.values), keep })),
    count,
  );
}

/**
 * One IMP pruning step: removes `policy.rate` of the remaining prunable weights by magnitude,
 * with one threshold across layers (global) or one per layer (layerwise). Masks only lose
 * weights: a pruned weight never comes back.
 */
export function pruneByMagnitude(
  weights: readonly WeightTensor[],
  current: Mask | undefined,
  policy: PruningPolicy,
): Mask {
  if (!(policy.rate > 0 && policy.rate < 1))
    throw new InvalidArgumentError(`rate must be in (0, 1), got ${policy.rate}`);
  const group = candidates(weights, current, policy);
  if (group.length === 0) throw new InvalidArgumentError('no prunable weights: every kernel is excluded by the policy');
  if (policy.strategy === 'layerwise') {
    for (const c of group) pruneSmallest([c], Math.round(policy.rate * countKept(c.keep)));
  } else {
    let remaining = 0;
    for (const c of group) remaining += countKept(c.keep);
    pruneSmallest(group, Math.round(policy.rate * remaining));
  }
  const mask: Mask = new Map();
  for (const c of group) mask.set(c.weight.name, { shape: [...c.weight.shape], keep: c.keep });
  return mask;
}

/**
 * One-shot magnitude pruning to a reference mask's sparsity: from the dense mask over the reference's
 * tensors, the smallest weights go until as many remain as the reference keeps, in total (global) or
 * in each tensor (layerwise).
 */
export function pruneLikeMask(
  weights: readonly WeightTensor[],
  reference: Mask,
  strategy: PruningPolicy['strategy'],
): Mask {
  checkMaskFits(weights, reference);
  const group: Candidate[] = weights
    .filter((w) => reference.has(w.name))
    .map((weight) => ({ weight, keep: new Uint8Array(weight.values.length).fill(1) }));
  if (strategy === 'layerwise') {
    for (const c of group) pruneSmallest([c], c.keep.length - countKept(reference.get(c.weight.name)!.keep));
  } else {
    let total = 0;
    let kept = 0;
    for (const c of group) {
      total += c.keep.length;
      kept += countKept(reference.get(c.weight.name)!.keep);
    }
    pruneSmallest(group, total - kept);
  }
  const mask: Mask = new Map();
  for (const c of group) mask.set(c.weight.name, { shape: [...c.weight.shape], keep: c.keep });
  return mask;
}

/** Checks that a mask fits the weights: every masked tensor exists with the same shape. */
export function checkMaskFits(weights: readonly { name: string; shape: readonly number[] }[], mask: Mask): void {
  const byName = new Map(weights.map((w) => [w.name, w]));
  for (const [name, m] of mask) {
    const w = byName.get(name);
    if (!w) throw new FailedPreconditionError(`mask names tensor ${quote(name)}, which the weights do not have`);
    if (sizeOf(w.shape) !== m.keep.length || w.shape.join('x') !== m.shape.join('x')) {
      throw new FailedPreconditionError(
        `mask tensor ${quote(name)} has shape [${m.shape}] but the weight has [${w.shape}]`,
      );
    }
  }
}

export type { MaskTensor };

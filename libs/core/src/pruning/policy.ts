import type { PruningSpec } from '../spec/campaign-schema';
import { compileNamePattern } from './name-pattern';

export type PruningPolicy = PruningSpec;

/**
 * Which weights IMP may prune. Models name their layers by convention: convolution and dense
 * kernels end in `/kernel`, the first convolution is `stem`, the classifier is `head`.
 * Biases and batch-norm parameters are never kernels, so they are never pruned.
 */
export function isPrunable(name: string, policy: Pick<PruningPolicy, 'excludePatterns' | 'pruneStem'>): boolean {
  if (!name.endsWith('/kernel')) return false;
  const layer = name.slice(0, -'/kernel'.length);
  if (layer === 'head') return false;
  if (layer === 'stem' && !policy.pruneStem) return false;
  return !policy.excludePatterns.some((p) => compileNamePattern(p).test(name));
}

/** How many weights IMP may prune, from names and shapes alone (the dense round's count). */
export function countPrunable(
  weights: readonly { name: string; shape: readonly number[] }[],
  policy: PruningPolicy,
): number {
  let n = 0;
  for (const w of weights) if (isPrunable(w.name, policy)) n += w.shape.reduce((a, b) => a * b, 1);
  return n;
}

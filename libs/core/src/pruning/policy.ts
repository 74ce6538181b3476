import type { PruningSpec } from '../spec/campaign-schema';
import { compileNamePattern } from './name-pattern';
import { isKernel, roleOf } from '../models/layer-roles';

export type PruningPolicy = PruningSpec;

/**
 * Which weights IMP may prune: kernels of the body, and of the stem when the policy says so
 * (roles: models/layer-roles.ts). Biases and batch-norm parameters are never kernels, so they are
 * never pruned; nor is the head.
 */
export function isPrunable(name: string, policy: Pick<PruningPolicy, 'excludePatterns' | 'pruneStem'>): boolean {
  if (!isKernel(name)) return false;
  const role = roleOf(name);
  if (role === 'head') return false;
  if (role === 'stem' && !policy.pruneStem) return false;
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

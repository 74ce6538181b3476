import type { OptimizerSpec } from '@lth/core';

/** Step schedule with linear warm-up: lr * gamma^(milestones passed), ramped over warmupSteps. */
export function learningRateAt(opt: OptimizerSpec, step: number, epoch: number): number {
  let lr = opt.learningRate;
  for (const m of opt.milestones) if (epoch >= m) lr *= opt.gamma;
  if (opt.warmupSteps > 0 && step < opt.warmupSteps) lr *= (step + 1) / opt.warmupSteps;
  return lr;
}

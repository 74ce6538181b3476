import type { OptimizerSpec } from '../spec/campaign-schema';

/** Where a step is in its training: the step's index, its epoch, and how many steps the training takes. */
export interface TrainingPosition {
  step: number;
  epoch: number;
  totalSteps: number;
}

/**
 * The learning rate of a step. A linear warm-up ramps it over the first warmupSteps; then the `step`
 * schedule multiplies it by gamma at each milestone epoch passed, and the `cosine` schedule anneals it
 * from learningRate to 0 over the remaining steps (Loshchilov & Hutter 2017, without restarts).
 */
export function learningRateAt(opt: OptimizerSpec, at: TrainingPosition): number {
  const { step, epoch, totalSteps } = at;
  if (opt.warmupSteps > 0 && step < opt.warmupSteps) return (opt.learningRate * (step + 1)) / opt.warmupSteps;
  if (opt.schedule === 'cosine') {
    const span = Math.max(1, totalSteps - opt.warmupSteps);
    const progress = Math.min(1, (step - opt.warmupSteps) / span);
    return opt.learningRate * 0.5 * (1 + Math.cos(Math.PI * progress));
  }
  let lr = opt.learningRate;
  for (const m of opt.milestones) if (epoch >= m) lr *= opt.gamma;
  return lr;
}

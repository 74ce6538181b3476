import type { OptimizerSpec } from '@lth/core';

/** SGD settings the tensor tests train with: momentum and weight decay on, so both are exercised. */
export const TEST_OPTIMIZER: OptimizerSpec = {
  learningRate: 0.05,
  momentum: 0.9,
  weightDecay: 1e-4,
  milestones: [],
  gamma: 0.1,
  warmupSteps: 0,
  schedule: 'step',
};

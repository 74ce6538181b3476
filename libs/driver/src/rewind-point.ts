import type { Experiment } from '@lth/core';
import type { InputProducers } from './corrupt-input';
import type { DriverDeps } from './driver-deps';
import type { PretrainingRecord } from './records';
import { requiredRound } from './required-record';

/**
 * What a round's survivors start from. Round 0 (dense) and `pretrained` start from θ_p with a fresh head
 * for the task; `init` from the seed's random init; `dense` (from round 1) from round 0's fine-tuned
 * weights, head included, since they were trained on this very task.
 */
export async function rewindPoint(
  experiment: Experiment,
  round: number,
  pretrained: PretrainingRecord,
  context: { deps: DriverDeps; inputs: InputProducers },
): Promise<{ rewindTo: string; freshHead: boolean }> {
  const { rewind } = experiment.settings;
  if (rewind === 'init') return { rewindTo: '', freshHead: false };
  if (rewind === 'pretrained' || round === 0) {
    return { rewindTo: pretrained.weightsDigest, freshHead: pretrained.weightsDigest !== '' };
  }
  const dense = await requiredRound(experiment, 0, context.deps, context.inputs);
  return { rewindTo: dense.weightsDigest, freshHead: false };
}

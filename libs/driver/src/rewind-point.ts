import { FailedPreconditionError, type Experiment } from '@lth/core';
import type { InputProducers } from './corrupt-input';
import type { DriverDeps } from './driver-deps';
import { refs, type PretrainingRecord } from './records';
import { requiredRound } from './required-record';

/**
 * What a round's survivors start from. Round 0 (dense) and `pretrained` start from θ_p with a fresh head
 * for the task; `init` from the seed's random init; `early` (from round 1) from θ_k, the weights round 0
 * kept early in its fine-tuning, and `dense` from round 0's fine-tuned weights, both head included, since
 * they were trained on this very task.
 */
export async function rewindPoint(
  experiment: Experiment,
  round: number,
  pretrained: PretrainingRecord,
  context: { deps: Pick<DriverDeps, 'store'>; inputs: InputProducers },
): Promise<{ rewindTo: string; freshHead: boolean }> {
  const { rewind } = experiment.settings;
  if (rewind === 'init') return { rewindTo: '', freshHead: false };
  if (rewind === 'pretrained' || round === 0) {
    return { rewindTo: pretrained.weightsDigest, freshHead: pretrained.weightsDigest !== '' };
  }
  const dense = await requiredRound(experiment, 0, context.deps, context.inputs);
  if (rewind === 'dense') return { rewindTo: dense.weightsDigest, freshHead: false };
  if (!dense.rewindWeightsDigest)
    throw new FailedPreconditionError(`round 0 of experiment ${experiment.id} kept no θ_k to rewind to`);
  context.inputs.add(dense.rewindWeightsDigest, refs.round(experiment.id, 0), `round 0 of experiment ${experiment.id}`);
  return { rewindTo: dense.rewindWeightsDigest, freshHead: false };
}

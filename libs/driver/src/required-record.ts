import { FailedPreconditionError, type Experiment } from '@lth/core';
import type { InputProducers } from './corrupt-input';
import type { DriverDeps } from './driver-deps';
import { refs, type PretrainingRecord, type RoundRecord } from './records';

/** A record this round needs; its digest is noted as produced by the task behind `ref`. */
export async function required<T>(
  deps: Pick<DriverDeps, 'store'>,
  inputs: InputProducers,
  input: { ref: string; missing: string; producer: string },
): Promise<T> {
  const digest = await deps.store.getRef(input.ref);
  if (!digest) throw new FailedPreconditionError(input.missing);
  inputs.add(digest, input.ref, input.producer);
  return deps.store.getJson<T>(digest);
}

/** θ_p of an experiment's pre-training, which must have finished; its weights are noted as its. */
export async function requiredPretraining(
  experiment: Experiment,
  deps: Pick<DriverDeps, 'store'>,
  inputs: InputProducers,
): Promise<PretrainingRecord> {
  const { pretraining } = experiment.settings;
  const ref = refs.pretraining(pretraining.id);
  const producer = `pre-training ${pretraining.name} (${pretraining.id})`;
  const record = await required<PretrainingRecord>(deps, inputs, {
    ref,
    missing: `${producer} has not finished`,
    producer,
  });
  inputs.add(record.weightsDigest, ref, producer);
  return record;
}

/** A finished round of an experiment; its weights and mask are noted as its. */
export async function requiredRound(
  experiment: Experiment,
  round: number,
  deps: Pick<DriverDeps, 'store'>,
  inputs: InputProducers,
): Promise<RoundRecord> {
  const ref = refs.round(experiment.id, round);
  const producer = `round ${round} of experiment ${experiment.id}`;
  const record = await required<RoundRecord>(deps, inputs, { ref, missing: `${producer} has not finished`, producer });
  inputs.add(record.weightsDigest, ref, producer);
  inputs.add(record.maskDigest, ref, producer);
  return record;
}

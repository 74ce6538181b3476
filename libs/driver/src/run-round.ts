import { countPrunable, FailedPreconditionError, type Experiment } from '@lth/core';
import { getWeightSpecs } from '@lth/store';
import { InputProducers } from './corrupt-input';
import type { DriverDeps } from './driver-deps';
import { ownRecord } from './store-progress';
import { refs, type RoundRecord } from './records';
import { evaluate, fineTune, prune, normalizationOf } from './service-calls';
import { requiredPretraining, requiredRound } from './required-record';
import { rewindPoint } from './rewind-point';

type MaskOfRound = Pick<
  RoundRecord,
  'maskDigest' | 'prunedFromDigest' | 'sparsity' | 'density' | 'remainingWeights'
> & {
  prunableWeights?: number;
};

/** Round n >= 1 prunes round n-1's fine-tuned weights; round 0 is dense. */
async function maskOf(
  experiment: Experiment,
  round: number,
  deps: DriverDeps,
  inputs: InputProducers,
): Promise<MaskOfRound> {
  if (round === 0) return { maskDigest: '', prunedFromDigest: '', sparsity: 0, density: 1, remainingWeights: 0 };
  const previous = await requiredRound(experiment, round - 1, deps, inputs);
  deps.emit({ type: 'phase', phase: 'prune' });
  const pruned = await prune(deps, {
    weightsDigest: previous.weightsDigest,
    maskDigest: previous.maskDigest,
    pruning: experiment.settings.pruning,
  });
  return {
    maskDigest: pruned.maskDigest,
    prunedFromDigest: previous.weightsDigest,
    sparsity: pruned.sparsity,
    density: pruned.prunableWeights ? pruned.remainingWeights / pruned.prunableWeights : 1,
    remainingWeights: pruned.remainingWeights,
    prunableWeights: pruned.prunableWeights,
  };
}

/**
 * One IMP round of an experiment: prune (from round 1) -> fine-tune the ticket (survivors
 * rewound to θ_p, or to the seed's init) -> evaluate. The record is written last, so a killed
 * round leaves nothing that looks finished, and a finished round is never run again.
 */
export async function runRound(experiment: Experiment, round: number, deps: DriverDeps): Promise<RoundRecord> {
  const { store } = deps;
  const own = refs.round(experiment.id, round);
  const existing = await ownRecord<RoundRecord>(store, own);
  if (existing) return existing;
  if (!Number.isInteger(round) || round < 0) throw new FailedPreconditionError(`round ${round} is not a round number`);
  const inputs = new InputProducers();
  try {
    return await computeRound(experiment, round, deps, inputs);
  } catch (e) {
    throw await inputs.withdraw(e, store);
  }
}

async function computeRound(
  experiment: Experiment,
  round: number,
  deps: DriverDeps,
  inputs: InputProducers,
): Promise<RoundRecord> {
  const { store } = deps;
  const s = experiment.settings;
  const pretrained = await requiredPretraining(experiment, deps, inputs);
  const mask = await maskOf(experiment, round, deps, inputs);
  const { rewindTo, freshHead } = await rewindPoint(experiment, round, pretrained, { deps, inputs });

  deps.emit({ type: 'phase', phase: 'finetune' });
  const trained = await fineTune(deps, {
    model: s.model,
    dataset: s.task,
    initWeightsDigest: rewindTo,
    maskDigest: mask.maskDigest,
    seed: s.seed,
    freshHead,
    training: s.finetune,
    normalization: normalizationOf(s.pretraining.source),
  });

  deps.emit({ type: 'phase', phase: 'evaluate' });
  const scored = await evaluate(deps, {
    model: s.model,
    dataset: s.task,
    weightsDigest: trained.weightsDigest,
    maskDigest: mask.maskDigest,
    evaluation: s.evaluation,
    normalization: normalizationOf(s.pretraining.source),
  });
  const prunable = mask.prunableWeights ?? countPrunable(await getWeightSpecs(store, trained.weightsDigest), s.pruning);
  const record: RoundRecord = {
    experimentId: experiment.id,
    round,
    ...mask,
    remainingWeights: round === 0 ? prunable : mask.remainingWeights,
    prunableWeights: prunable,
    weightsDigest: trained.weightsDigest,
    testAccuracy: scored.accuracy,
    testLoss: scored.loss,
    trainSeconds: trained.trainSeconds,
    backend: trained.backend,
  };
  await store.setRef(refs.round(experiment.id, round), await store.putJson(record));
  deps.emit({ type: 'round-finished', record });
  return record;
}

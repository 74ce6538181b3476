import { countPrunable, FailedPreconditionError, type Experiment } from '@lth/core';
import { getWeightSpecs } from '@lth/store';
import { InputProducers } from './corrupt-input';
import type { DriverDeps } from './driver-deps';
import { ownRecord } from './store-progress';
import { refs, type PretrainingRecord, type RoundRecord } from './records';
import { evaluate, fineTune, prune, normalizationOf, type FineTuneInput } from './service-calls';
import { trainAndScore, type TrainedAndScored } from './train-and-score';
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

/** A round's training and its scores (null where there are no labels to score). */
type RoundOutcome = Omit<TrainedAndScored, 'testAccuracy' | 'testLoss'> & {
  testAccuracy: number | null;
  testLoss: number | null;
};

/**
 * Trains a round's ticket from its rewind point and scores it. Downstream, on the task's labels with a
 * fresh head; a pre-training ticket from θ_p whole (same task, same head) with the pre-training's own
 * objective, except round 0, which is θ_p itself (the dense model of its own task, already trained).
 * A contrastive pre-training's tickets have no labels to be scored on: they are judged where they transfer.
 */
async function trainRound(
  experiment: Experiment,
  at: { round: number; pretrained: PretrainingRecord; maskDigest: string },
  deps: DriverDeps,
  inputs: InputProducers,
): Promise<RoundOutcome> {
  const s = experiment.settings;
  const source = s.pretraining.source;
  const onPretraining = s.objective === 'pretraining';
  const labelled = !onPretraining || source.kind === 'supervised';
  const normalization = normalizationOf(source);
  if (onPretraining && at.round === 0) {
    const trained = { weightsDigest: at.pretrained.weightsDigest, trainSeconds: 0, backend: at.pretrained.backend };
    if (!labelled) return { trained, testAccuracy: null, testLoss: null };
    deps.emit({ type: 'phase', phase: 'evaluate' });
    const input = { model: s.model, dataset: s.task, weightsDigest: trained.weightsDigest, maskDigest: '' };
    const scored = await evaluate(deps, { ...input, evaluation: s.evaluation, normalization });
    return { trained, testAccuracy: scored.accuracy, testLoss: scored.loss };
  }
  const start = onPretraining
    ? { rewindTo: at.pretrained.weightsDigest, freshHead: false }
    : await rewindPoint(experiment, at.round, at.pretrained, { deps, inputs });
  const input: FineTuneInput = {
    model: s.model,
    dataset: s.task,
    initWeightsDigest: start.rewindTo,
    maskDigest: at.maskDigest,
    seed: s.seed,
    freshHead: start.freshHead,
    training: s.finetune,
    normalization,
    contrastive: onPretraining && (source.kind === 'simclr' || source.kind === 'moco') ? source : undefined,
    // Late rewinding: round 0 keeps θ_k for the rounds after it.
    snapshot: at.round === 0 ? s.rewindAt : undefined,
  };
  if (labelled) return trainAndScore(deps, input, s.evaluation);
  deps.emit({ type: 'phase', phase: 'finetune' });
  return { trained: await fineTune(deps, input), testAccuracy: null, testLoss: null };
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
  const { trained, testAccuracy, testLoss, selection } = await trainRound(
    experiment,
    { round, pretrained, maskDigest: mask.maskDigest },
    deps,
    inputs,
  );
  const prunable = mask.prunableWeights ?? countPrunable(await getWeightSpecs(store, trained.weightsDigest), s.pruning);
  const record: RoundRecord = {
    experimentId: experiment.id,
    round,
    ...mask,
    remainingWeights: round === 0 ? prunable : mask.remainingWeights,
    prunableWeights: prunable,
    weightsDigest: trained.weightsDigest,
    ...(trained.snapshotWeightsDigest ? { rewindWeightsDigest: trained.snapshotWeightsDigest } : {}),
    ...(selection ? { selection } : {}),
    testAccuracy,
    testLoss,
    trainSeconds: trained.trainSeconds,
    backend: trained.backend,
  };
  await store.setRef(refs.round(experiment.id, round), await store.putJson(record));
  deps.emit({ type: 'round-finished', record });
  return record;
}

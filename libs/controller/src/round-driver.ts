import { FailedPreconditionError, type Experiment, type PretrainingPlan } from '@lth/core';
import { putWeights, type ArtifactStore } from '@lth/store';
import { callUnary, DEADLINES, deadlineIn, Metadata, pruningV1, splitEnum, type finetuneV1 } from '@lth/grpc-kit';
import type { DriverEvent } from './driver-events';
import { readLayersModelWeights } from './import-layers-model';
import { refs, type PretrainRecord, type RoundRecord } from './records';
import type { ServiceClients } from './service-clients';

export interface DriverDeps {
  store: ArtifactStore;
  clients: ServiceClients;
  emit: (event: DriverEvent) => void;
  signal?: AbortSignal;
}

interface TrainOutcome {
  weightsDigest: string;
  trainSeconds: number;
  backend: string;
}

async function fineTune(deps: DriverDeps, request: finetuneV1.FineTuneRequest): Promise<TrainOutcome> {
  const { clients, emit, signal } = deps;
  const call = clients.finetune.fineTune(request, new Metadata(), { deadline: deadlineIn(DEADLINES.fineTune) });
  const cancel = () => call.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for await (const message of call) {
      const event = (message as finetuneV1.FineTuneResponse).event;
      if (event?.$case === 'progress') emit({ type: 'progress', ...event.value });
      if (event?.$case === 'result') return { weightsDigest: event.value.weightsDigest, trainSeconds: event.value.trainSeconds, backend: event.value.backend };
    }
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
  throw new Error('fine-tuning ended without a result');
}

function optimizerOf(t: Experiment['settings']['finetune']): finetuneV1.OptimizerSettings {
  return { ...t.optimizer };
}

/**
 * Produces θ_p for a plan (idempotent: a plan already in the store is returned as is).
 * Supervised plans train on their dataset from the seed; file plans import a TF.js model.
 */
export async function runPretrain(plan: PretrainingPlan, deps: DriverDeps): Promise<PretrainRecord> {
  const { store } = deps;
  const existing = await store.getRef(refs.pretraining(plan.id));
  if (existing) return store.getJson<PretrainRecord>(existing);
  deps.emit({ type: 'phase', phase: 'pretrain' });
  let record: PretrainRecord;
  const source = plan.source;
  if (source.kind === 'supervised') {
    const t = source.training;
    const trained = await fineTune(deps, {
      model: plan.model,
      dataset: source.dataset,
      initWeightsDigest: '',
      maskDigest: '',
      seed: source.seed,
      freshHead: false,
      epochs: t.epochs,
      maxSteps: t.maxSteps,
      batchSize: t.batchSize,
      optimizer: optimizerOf(t),
      maxExamples: t.maxExamples,
    });
    const evaluation = await callUnary(deps.clients.evaluation, deps.clients.evaluation.evaluate, {
      model: plan.model, dataset: source.dataset, split: splitEnum('test'), weightsDigest: trained.weightsDigest, maskDigest: '', batchSize: 1000, maxExamples: 0,
    }, DEADLINES.evaluate);
    record = { planId: plan.id, weightsDigest: trained.weightsDigest, trainSeconds: trained.trainSeconds, testAccuracy: evaluation.accuracy, backend: trained.backend };
  } else if (source.kind === 'file') {
    const weights = await readLayersModelWeights(source.path);
    record = { planId: plan.id, weightsDigest: await putWeights(store, weights), trainSeconds: 0, testAccuracy: null, backend: 'none' };
  } else {
    record = { planId: plan.id, weightsDigest: '', trainSeconds: 0, testAccuracy: null, backend: 'none' };
  }
  await store.setRef(refs.pretraining(plan.id), await store.putJson(record));
  deps.emit({ type: 'pretrain-done', record });
  return record;
}

/**
 * One IMP round of an experiment: fine-tune the ticket (mask of the previous round, survivors
 * rewound to θ_p or to the seed's init) -> evaluate -> prune for the next round. The record is
 * written last, so a killed round leaves nothing that looks finished, and a finished round is
 * never run again.
 */
export async function runRound(experiment: Experiment, round: number, deps: DriverDeps): Promise<RoundRecord> {
  const { store, clients } = deps;
  const s = experiment.settings;
  const existing = await store.getRef(refs.round(experiment.id, round));
  if (existing) return store.getJson<RoundRecord>(existing);
  if (round < 0 || round > s.rounds) throw new FailedPreconditionError(`round ${round} is outside 0..${s.rounds}`);

  let previous: RoundRecord | undefined;
  if (round > 0) {
    const ref = await store.getRef(refs.round(experiment.id, round - 1));
    if (!ref) throw new FailedPreconditionError(`round ${round - 1} of experiment ${experiment.id} has not finished`);
    previous = await store.getJson<RoundRecord>(ref);
  }
  const pretrainRef = await store.getRef(refs.pretraining(s.pretraining.id));
  if (!pretrainRef) throw new FailedPreconditionError(`pre-training ${s.pretraining.name} (${s.pretraining.id}) has not finished`);
  const pretrained = await store.getJson<PretrainRecord>(pretrainRef);
  const rewindTo = s.rewind === 'pretrained' ? pretrained.weightsDigest : '';
  const maskDigest = previous?.nextMaskDigest ?? '';

  deps.emit({ type: 'phase', phase: 'finetune' });
  const trained = await fineTune(deps, {
    model: s.model,
    dataset: s.task,
    initWeightsDigest: rewindTo,
    maskDigest,
    seed: s.seed,
    freshHead: rewindTo !== '',
    epochs: s.finetune.epochs,
    maxSteps: s.finetune.maxSteps,
    batchSize: s.finetune.batchSize,
    optimizer: optimizerOf(s.finetune),
    maxExamples: s.finetune.maxExamples,
  });

  deps.emit({ type: 'phase', phase: 'evaluate' });
  const evaluation = await callUnary(clients.evaluation, clients.evaluation.evaluate, {
    model: s.model,
    dataset: s.task,
    split: splitEnum(s.evaluation.split),
    weightsDigest: trained.weightsDigest,
    maskDigest,
    batchSize: s.evaluation.batchSize,
    maxExamples: s.evaluation.maxExamples,
  }, DEADLINES.evaluate);

  // The last round's mask would never be used: it is not computed.
  const isLast = round === s.rounds;
  let pruned: pruningV1.PruneResponse | undefined;
  if (!isLast) {
    deps.emit({ type: 'phase', phase: 'prune' });
    pruned = await callUnary(clients.pruning, clients.pruning.prune, {
      weightsDigest: trained.weightsDigest,
      maskDigest,
      policy: {
        strategy: s.pruning.strategy === 'layerwise' ? pruningV1.Strategy.STRATEGY_LAYERWISE_MAGNITUDE : pruningV1.Strategy.STRATEGY_GLOBAL_MAGNITUDE,
        rate: s.pruning.rate,
        excludePatterns: s.pruning.excludePatterns,
        pruneStem: s.pruning.pruneStem,
      },
    }, DEADLINES.prune);
  }
  const prunable = previous?.prunableWeights ?? pruned!.prunableWeights;
  const remaining = previous ? previous.nextRemainingWeights : prunable;
  const record: RoundRecord = {
    experimentId: experiment.id,
    round,
    sparsity: previous ? previous.nextSparsity : 0,
    density: prunable ? remaining / prunable : 1,
    remainingWeights: remaining,
    prunableWeights: prunable,
    testAccuracy: evaluation.accuracy,
    testLoss: evaluation.loss,
    trainSeconds: trained.trainSeconds,
    maskDigest,
    weightsDigest: trained.weightsDigest,
    nextMaskDigest: pruned?.maskDigest ?? '',
    nextSparsity: pruned?.sparsity ?? 0,
    nextRemainingWeights: pruned?.remainingWeights ?? 0,
    backend: trained.backend,
  };
  await store.setRef(refs.round(experiment.id, round), await store.putJson(record));
  deps.emit({ type: 'round-done', record });
  return record;
}

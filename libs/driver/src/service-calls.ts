import type {
  ContrastivePretrainingSpec,
  Experiment,
  NormalizationSpec,
  PretrainingSpec,
  PruningSpec,
  TrainingSpec,
} from '@lth/core';
import { pruningV1, splitEnum, type dataV1, type finetuneV1 } from '@lth/grpc-kit';
import type { DriverDeps } from './driver-deps';
import type { ServiceClients } from './service-clients';
import { retryUnavailable } from './unavailable-retry';

export interface Trained {
  weightsDigest: string;
  trainSeconds: number;
  backend: string;
  /** The weights `snapshot` asked for (θ_k); absent when none was. */
  snapshotWeightsDigest?: string;
  /** With `selection`: the weights of the epoch with the best validation accuracy. */
  selected?: { weightsDigest: string; epoch: number; validationAccuracy: number };
}

export interface FineTuneInput {
  model: string;
  dataset: string;
  /** Empty: every weight from the seed. */
  initWeightsDigest: string;
  /** Empty: dense. */
  maskDigest: string;
  seed: number;
  freshHead: boolean;
  training: TrainingSpec;
  /** The pre-training's input normalisation; unset: pixel / 255. */
  normalization?: NormalizationSpec | undefined;
  /** A self-supervised objective instead of the labels' cross-entropy. */
  contrastive?: ContrastivePretrainingSpec | undefined;
  /** Also keep the weights after this many steps, or this fraction of them (late rewinding's θ_k). */
  snapshot?: { step: number } | { fraction: number } | undefined;
  /** Score every epoch on the validation split and keep the best (training.selection: best-validation). */
  selection?: { maxExamples: number; batchSize: number } | undefined;
}

function contrastiveToProto(p: ContrastivePretrainingSpec): finetuneV1.ContrastiveObjective {
  const moco =
    p.kind === 'moco' ? { keyMomentum: p.keyMomentum, queueSize: p.queueSize } : { keyMomentum: 0, queueSize: 0 };
  return {
    method: p.kind,
    temperature: p.temperature,
    projectionHidden: p.projection.hidden,
    projectionDim: p.projection.dim,
    ...moco,
    views: p.views,
  };
}

/** The pre-training's input normalisation, if it has one: every experiment from it trains and evaluates so. */
export function normalizationOf(source: PretrainingSpec): NormalizationSpec | undefined {
  return 'normalization' in source ? source.normalization : undefined;
}

function augmentationToProto(a: TrainingSpec['augmentation']): dataV1.Augmentation | undefined {
  switch (a.recipe) {
    case 'dataset':
      return { datasetDefault: true, cropPadding: 0, horizontalFlip: false };
    case 'none':
      return undefined;
    case 'custom':
      return { datasetDefault: false, cropPadding: a.cropPadding, horizontalFlip: a.horizontalFlip };
  }
}

/** Fine-tunes through the service, forwarding its progress; resolves with the trained weights. */
export function fineTune(deps: DriverDeps, input: FineTuneInput): Promise<Trained> {
  return retryUnavailable('finetune', () => fineTuneOnce(deps, input), deps);
}

async function fineTuneOnce(deps: DriverDeps, input: FineTuneInput): Promise<Trained> {
  const { clients, emit, signal } = deps;
  const { training, contrastive, snapshot, ...request } = input;
  // training.selection is the driver's to act on: the request carries `selection` (where to score) instead.
  const { epochs, maxSteps, batchSize, maxExamples, optimizer, augmentation } = training;
  const call = {
    ...request,
    ...(snapshot && 'step' in snapshot ? { snapshotStep: snapshot.step } : {}),
    ...(snapshot && 'fraction' in snapshot ? { snapshotFraction: snapshot.fraction } : {}),
    epochs,
    maxSteps,
    batchSize,
    maxExamples,
    optimizer,
    augmentation: contrastive ? undefined : augmentationToProto(augmentation),
    contrastive: contrastive ? contrastiveToProto(contrastive) : undefined,
  };
  for await (const { event } of clients.finetune.fineTune(call, { signal })) {
    if (event?.$case === 'progress') emit({ type: 'progress', ...event.value });
    if (event?.$case === 'result') {
      const { weightsDigest, trainSeconds, backend, snapshotWeightsDigest, selectedWeightsDigest } = event.value;
      const { selectedEpoch: epoch, validationAccuracy } = event.value;
      return {
        weightsDigest,
        trainSeconds,
        backend,
        ...(snapshotWeightsDigest ? { snapshotWeightsDigest } : {}),
        ...(selectedWeightsDigest
          ? { selected: { weightsDigest: selectedWeightsDigest, epoch, validationAccuracy } }
          : {}),
      };
    }
  }
  throw new Error('fine-tuning ended without a result');
}

export interface EvaluateInput {
  model: string;
  dataset: string;
  weightsDigest: string;
  maskDigest: string;
  evaluation: Experiment['settings']['evaluation'];
  normalization?: NormalizationSpec | undefined;
  /** Gaussian noise on the ticket's survivors before scoring (perturbation sensitivity). */
  perturbation?: { relativeScale: number; seed: number };
}

export function evaluate(
  deps: Pick<DriverDeps, 'emit' | 'signal'> & { clients: Pick<ServiceClients, 'evaluation'> },
  input: EvaluateInput,
) {
  const { clients } = deps;
  const { evaluation, ...request } = input;
  const split = splitEnum(evaluation.split);
  return retryUnavailable('evaluation', () => clients.evaluation.evaluate({ ...request, ...evaluation, split }), deps);
}

function policyToProto(p: PruningSpec): pruningV1.PruningPolicy {
  const strategy =
    p.strategy === 'layerwise'
      ? pruningV1.Strategy.STRATEGY_LAYERWISE_MAGNITUDE
      : pruningV1.Strategy.STRATEGY_GLOBAL_MAGNITUDE;
  return { ...p, strategy };
}

export interface PruneInput {
  weightsDigest: string;
  maskDigest: string;
  pruning: PruningSpec;
  /** One shot: prune the dense weights until as many remain as this mask keeps. */
  likeMaskDigest?: string;
}

export function prune(deps: DriverDeps, input: PruneInput) {
  const { clients } = deps;
  const request = {
    weightsDigest: input.weightsDigest,
    maskDigest: input.maskDigest,
    policy: policyToProto(input.pruning),
    likeMaskDigest: input.likeMaskDigest ?? '',
  };
  return retryUnavailable('pruning', () => clients.pruning.prune(request), deps);
}

/** A random mask as sparse as the reference, overall (`global`) or in each layer. */
export function randomPrune(deps: DriverDeps, input: { referenceMaskDigest: string; seed: number; global: boolean }) {
  return retryUnavailable('pruning', () => deps.clients.pruning.randomPrune(input), deps);
}

/** The prunable weights a mask pruned, and only those. */
export function reverseMask(deps: DriverDeps, maskDigest: string) {
  return retryUnavailable('pruning', () => deps.clients.pruning.reverseMask({ maskDigest }), deps);
}

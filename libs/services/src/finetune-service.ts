import {
  deriveSeed,
  improvesSelection,
  type SelectedEpoch,
  learningRateAt,
  InvalidArgumentError,
  optimizerSchema,
  quote,
  ResourceExhaustedError,
  type OptimizerSpec,
} from '@lth/core';
import { putWeights, type ArtifactStore } from '@lth/store';
import {
  activeBackend,
  backendUsable,
  batchTensors,
  checkBatchFits,
  ContrastiveObjective,
  Evaluator,
  type BatchLayout,
  type Network,
  MaskedTrainer,
  SupervisedObjective,
  type ContrastiveSettings,
  type TrainingObjective,
} from '@lth/tensor';
import { finetuneV1, type CallContext, type ServiceBinding } from '@lth/grpc-kit';
import { DataFeed, splitSize } from './data-feed';
import { inputNormalization } from './input-normalization';
import { loadInitialWeights, loadMaskFor, networkFor, requireModel } from './model-weights';
import { cleanUp } from './clean-up';
import { Semaphore } from './semaphore';

export interface FineTuneStats {
  steps: number;
  images: number;
  /** images/s of the last progress report */
  imagesPerSecond: number;
  /** Time spent in training steps (making the batch's tensors, forward, backward, update). */
  stepSeconds: number;
  /** Time training waited for its next batch: gRPC flow control prefetches, so this stays near 0. */
  dataWaitSeconds: number;
}

export const emptyFineTuneStats = (): FineTuneStats => ({
  steps: 0,
  images: 0,
  imagesPerSecond: 0,
  stepSeconds: 0,
  dataWaitSeconds: 0,
});

const PROGRESS_EVERY_MS = 1000;

/** The request's optimizer, checked by the campaign schema's rules; the service invents no default. */
function optimizerFromProto(o: finetuneV1.OptimizerSettings | undefined): OptimizerSpec {
  if (!o) throw new InvalidArgumentError('optimizer is required');
  // proto3 sends an unset string as "": the schema's default.
  const parsed = optimizerSchema.safeParse({ ...o, schedule: o.schedule || undefined });
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new InvalidArgumentError(`optimizer.${i.path.join('.')}: ${i.message}`);
  }
  return parsed.data;
}

/**
 * The step after which the request wants its weights kept (late rewinding's θ_k), or undefined. A step
 * beyond the training is the end of it.
 */
function snapshotStepOf(req: finetuneV1.FineTuneRequest, totalSteps: number): number | undefined {
  const { snapshotStep, snapshotFraction } = req;
  if (snapshotStep !== undefined && snapshotFraction !== undefined)
    throw new InvalidArgumentError('give snapshot_step or snapshot_fraction, not both');
  if (snapshotFraction !== undefined) {
    if (!(snapshotFraction >= 0 && snapshotFraction <= 1))
      throw new InvalidArgumentError(`snapshot_fraction must be in [0, 1], not ${snapshotFraction}`);
    return Math.round(snapshotFraction * totalSteps);
  }
  return snapshotStep === undefined ? undefined : Math.min(snapshotStep, totalSteps);
}

/** The request's contrastive objective, checked; undefined for supervised training. */
function contrastiveFromProto(
  c: finetuneV1.ContrastiveObjective | undefined,
  batchSize: number,
): ContrastiveSettings | undefined {
  if (!c) return undefined;
  if (c.method !== 'simclr' && c.method !== 'moco')
    throw new InvalidArgumentError(`contrastive.method must be simclr or moco, not ${quote(c.method)}`);
  if (!(c.temperature > 0)) throw new InvalidArgumentError('contrastive.temperature must be positive');
  if (c.projectionHidden < 1 || c.projectionDim < 1)
    throw new InvalidArgumentError('contrastive.projection_hidden and projection_dim must be at least 1');
  if (c.method === 'simclr' && batchSize < 2)
    throw new InvalidArgumentError("SimCLR needs batch_size of at least 2 (each image is the others' negative)");
  if (c.method === 'moco' && (c.queueSize < 1 || !(c.keyMomentum >= 0 && c.keyMomentum < 1)))
    throw new InvalidArgumentError('MoCo needs contrastive.queue_size >= 1 and key_momentum in [0, 1)');
  const v = c.views;
  if (!v) throw new InvalidArgumentError('contrastive.views is required');
  if (!(v.minCropScale > 0 && v.minCropScale <= 1))
    throw new InvalidArgumentError('contrastive.views.min_crop_scale must be in (0, 1]');
  for (const field of ['brightness', 'contrast', 'saturation', 'noiseStd'] as const) {
    if (!(v[field] >= 0 && v[field] <= 1))
      throw new InvalidArgumentError(`contrastive.views.${field} must be in [0, 1]`);
  }
  return {
    method: c.method,
    temperature: c.temperature,
    projection: { hidden: c.projectionHidden, dim: c.projectionDim },
    keyMomentum: c.keyMomentum,
    queueSize: c.queueSize,
    views: v,
  };
}

/**
 * Trains a masked model on a dataset pulled from the data service, streams progress, and
 * ends with the digest of the trained weights. Pruned weights stay exactly zero.
 */
export interface FineTuneOptions {
  maxConcurrent: number;
  maxQueued: number;
  /** The backend no longer computes (its memory is gone): the process must be replaced. */
  onBackendLost?: (error: unknown) => void;
}

export function fineTuneService(
  store: ArtifactStore,
  feed: DataFeed,
  options: FineTuneOptions,
  stats: FineTuneStats = emptyFineTuneStats(),
): ServiceBinding {
  // TF.js runs one kernel at a time per process: concurrent trainings would only interleave.
  const slots = new Semaphore(options.maxConcurrent, options.maxQueued);
  /** The network's accuracy on (part of) the dataset's validation split, as it stands. */
  async function validationAccuracy(
    network: Network,
    on: { dataset: string; layout: BatchLayout },
    selection: finetuneV1.ValidationSelection,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const { dataset, layout } = on;
    const evaluator = new Evaluator(network);
    try {
      const options = { seed: 0, batchSize: selection.batchSize, shuffle: false, maxExamples: selection.maxExamples };
      for await (const batch of feed.batches(dataset, 'validation', options, signal)) {
        const { x, y } = batchTensors(batch.pixels, batch.labels, layout);
        evaluator.add(x, y);
        x.dispose();
        y.dispose();
      }
      return (await evaluator.result()).accuracy;
    } finally {
      evaluator.dispose();
    }
  }
  const implementation: finetuneV1.FineTuneServiceImplementation = {
    async *fineTune(req, ctx: CallContext) {
      requireModel(req.model);
      if (req.epochs === 0 && req.maxSteps === 0) throw new InvalidArgumentError('epochs or max_steps must be set');
      if (req.batchSize === 0) throw new InvalidArgumentError('batch_size must be at least 1');
      const optimizer = optimizerFromProto(req.optimizer);
      const contrastive = contrastiveFromProto(req.contrastive, req.batchSize);
      if (req.selection && contrastive)
        throw new InvalidArgumentError('selection scores labels: it does not apply to a contrastive objective');
      if (req.selection && req.selection.batchSize === 0)
        throw new InvalidArgumentError('selection.batch_size must be at least 1');
      const info = await feed.describe(req.dataset);
      const normalization = inputNormalization(req.normalization, info.channels);
      const release = await slots.acquire(ctx.signal);
      let network: ReturnType<typeof networkFor> | undefined;
      let trainer: MaskedTrainer | undefined;
      let objective: TrainingObjective | undefined;
      try {
        network = networkFor(req.model, info);
        const input = { height: info.height, width: info.width, channels: info.channels };
        const layout = { input, numClasses: info.numClasses, normalization };
        const init = { digest: req.initWeightsDigest, seed: req.seed, freshHead: req.freshHead };
        await loadInitialWeights(store, network, init);
        const mask = await loadMaskFor(store, network, req.maskDigest);
        objective = contrastive
          ? new ContrastiveObjective(network, contrastive, { seed: req.seed, normalization })
          : new SupervisedObjective(layout);
        checkBatchFits(network, req.batchSize * objective.imagesPerExample, 'training');
        trainer = new MaskedTrainer(network, mask, optimizer, objective.extraVariables);
        const stepsPerEpoch = Math.ceil(splitSize(info, 'train', req.maxExamples) / req.batchSize);
        const epochs = req.epochs || Math.ceil(req.maxSteps / stepsPerEpoch);
        const totalSteps = req.maxSteps > 0 ? Math.min(req.maxSteps, epochs * stepsPerEpoch) : epochs * stepsPerEpoch;
        const snapshotAt = snapshotStepOf(req, totalSteps);
        let selected: (SelectedEpoch & { weightsDigest: string }) | undefined;
        let snapshot = { weightsDigest: '', step: 0 };
        const takeSnapshot = async () => {
          snapshot = { weightsDigest: await putWeights(store, await network!.getWeights()), step };
        };
        const started = performance.now();
        let step = 0;
        let lastLoss = NaN;
        let windowStart = started;
        let windowImages = 0;
        for (let epoch = 0; epoch < epochs && step < totalSteps; epoch++) {
          const batches = feed.batches(
            req.dataset,
            'train',
            {
              seed: deriveSeed(req.seed, 'epoch', epoch),
              batchSize: req.batchSize,
              shuffle: true,
              maxExamples: req.maxExamples,
              // The contrastive views are made on the device from the plain images.
              augmentation: contrastive ? undefined : req.augmentation,
            },
            ctx.signal,
          );
          let askedAt = performance.now();
          for await (const batch of batches) {
            if (step >= totalSteps) break;
            // One read of the device, once per training: θ_k for late rewinding.
            if (step === snapshotAt) await takeSnapshot();
            const stepStart = performance.now();
            stats.dataWaitSeconds += (stepStart - askedAt) / 1000;
            objective.step(trainer, batch, {
              learningRate: learningRateAt(optimizer, { step, epoch, totalSteps }),
              step,
            });
            step++;
            windowImages += batch.count;
            stats.steps++;
            stats.images += batch.count;
            const now = performance.now();
            if (now - windowStart >= PROGRESS_EVERY_MS || step === totalSteps) {
              lastLoss = await trainer.takeMeanLoss();
              const imagesPerSecond = windowImages / ((performance.now() - windowStart) / 1000);
              stats.imagesPerSecond = imagesPerSecond;
              yield {
                event: { $case: 'progress', value: { step, totalSteps, epoch, loss: lastLoss, imagesPerSecond } },
              };
              windowStart = performance.now();
              windowImages = 0;
            }
            askedAt = performance.now();
            stats.stepSeconds += (askedAt - stepStart) / 1000;
          }
          if (req.selection) {
            const accuracy = await validationAccuracy(
              network,
              { dataset: req.dataset, layout },
              req.selection,
              ctx.signal,
            );
            if (improvesSelection(selected, accuracy)) {
              const weightsDigest = await putWeights(store, await network.getWeights());
              selected = { weightsDigest, epoch, validationAccuracy: accuracy };
            }
          }
        }
        if (snapshotAt !== undefined && snapshot.weightsDigest === '') await takeSnapshot();
        const weights = await network.getWeights();
        // A run that diverged is not a ticket: nothing is stored, and the same settings would
        // diverge again (training is deterministic), so retrying cannot help.
        const broken = weights.find((w) => !w.values.every(Number.isFinite));
        if (broken || !Number.isFinite(lastLoss)) {
          throw new InvalidArgumentError(
            `training diverged (loss ${lastLoss} at step ${step}` +
              `${broken ? `; ${quote(broken.name)} has non-finite values` : ''}): lower optimizer.learningRate`,
          );
        }
        const trainSeconds = (performance.now() - started) / 1000;
        const digest = await putWeights(store, weights);
        yield {
          event: {
            $case: 'result',
            value: {
              weightsDigest: digest,
              steps: step,
              finalLoss: lastLoss,
              trainSeconds,
              backend: activeBackend(),
              snapshotWeightsDigest: snapshot.weightsDigest,
              snapshotStep: snapshot.step,
              selectedWeightsDigest: selected?.weightsDigest ?? '',
              selectedEpoch: selected?.epoch ?? 0,
              validationAccuracy: selected?.validationAccuracy ?? 0,
            },
          },
        };
      } catch (e) {
        // An allocation that failed mid-step can leave the backend unable to compute at all.
        if (backendUsable()) throw e;
        options.onBackendLost?.(e);
        throw new ResourceExhaustedError(
          `batch_size ${req.batchSize} ran the ${activeBackend()} backend out of memory ` +
            `(${String((e as Error)?.message).slice(0, 120)}); this replica restarts: use a smaller batch_size`,
        );
      } finally {
        // The slot is released whatever disposing does: a throw here must not wedge the service.
        cleanUp(
          () => trainer?.dispose(),
          () => objective?.dispose(),
          () => network?.dispose(),
          release,
        );
      }
    },
  };
  const { FineTuneServiceDefinition: definition } = finetuneV1;
  return { name: definition.fullName, register: (server) => server.add(definition, implementation) };
}

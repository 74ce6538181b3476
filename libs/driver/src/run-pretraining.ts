import { InvalidArgumentError, quote, type Pretraining } from '@lth/core';
import { putWeights } from '@lth/store';
import type { DriverDeps } from './driver-deps';
import { readLayersModelWeights } from './import-layers-model';
import { importTorchCheckpoint, listed } from './import-torch-checkpoint';
import { refs, type PretrainingRecord } from './records';
import { ownRecord } from './store-progress';
import { fineTune } from './service-calls';
import { trainAndScore } from './train-and-score';

async function produce(pretraining: Pretraining, deps: DriverDeps): Promise<PretrainingRecord> {
  const { source } = pretraining;
  const none = { pretrainingId: pretraining.id, trainSeconds: 0, testAccuracy: null, backend: 'none' };
  switch (source.kind) {
    case 'supervised':
    case 'simclr':
    case 'moco': {
      const input = {
        model: pretraining.model,
        dataset: source.dataset,
        initWeightsDigest: '',
        maskDigest: '',
        seed: source.seed,
        freshHead: false,
        training: source.training,
        normalization: source.normalization,
      };
      if (source.kind !== 'supervised') {
        // No labels were used, so there is no accuracy to report: θ_p is judged by the tickets it gives.
        const { weightsDigest, trainSeconds, backend } = await fineTune(deps, { ...input, contrastive: source });
        return { ...none, weightsDigest, trainSeconds, backend };
      }
      const evaluation = { split: 'test' as const, batchSize: pretraining.evaluationBatchSize, maxExamples: 0 };
      const scored = await trainAndScore(deps, input, evaluation);
      const { trainSeconds, backend } = scored.trained;
      // Under best-validation, θ_p is the selected epoch's weights.
      const weightsDigest = scored.selection?.weightsDigest ?? scored.trained.weightsDigest;
      return { ...none, weightsDigest, trainSeconds, backend, testAccuracy: scored.testAccuracy };
    }
    case 'file':
      return { ...none, weightsDigest: await putWeights(deps.store, await readLayersModelWeights(source.path)) };
    case 'pytorch': {
      const imported = await importTorchCheckpoint(source.path, { arch: source.arch, prefix: source.prefix });
      // Nobody reads a campaign's warnings: keys that are no weight of the model mean a wrong arch or
      // prefix, so they stop it here (`lth weights import` lists them and goes on).
      if (imported.unexpected.length > 0) {
        throw new InvalidArgumentError(
          `${quote(source.path)} holds ${imported.unexpected.length} key(s) ResNet ${source.arch} does not have: ` +
            `${listed(imported.unexpected)}; check arch and prefix (lth weights import lists them all)`,
        );
      }
      return { ...none, weightsDigest: await putWeights(deps.store, imported.weights) };
    }
    case 'none':
      return { ...none, weightsDigest: '' };
  }
}

/**
 * Produces θ_p (idempotent: a pre-training already in the store is returned as it is; a corrupt record
 * is computed again).
 * Supervised pre-trainings train on their dataset's labels from the seed, SimCLR and MoCo ones on its
 * images alone; file ones import a TF.js model, pytorch ones a torchvision ResNet checkpoint.
 */
export async function runPretraining(pretraining: Pretraining, deps: DriverDeps): Promise<PretrainingRecord> {
  const { store } = deps;
  const existing = await ownRecord<PretrainingRecord>(store, refs.pretraining(pretraining.id));
  if (existing) return existing;
  deps.emit({ type: 'phase', phase: 'pretraining' });
  const record = await produce(pretraining, deps);
  await store.setRef(refs.pretraining(pretraining.id), await store.putJson(record));
  deps.emit({ type: 'pretraining-finished', record });
  return record;
}

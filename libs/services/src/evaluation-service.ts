import { applyMask, InvalidArgumentError, perturbSurvivors } from '@lth/core';
import { checkDigest, getWeights, type ArtifactStore } from '@lth/store';
import { activeBackend, batchTensors, checkBatchFits, Evaluator, tf } from '@lth/tensor';
import { evaluationV1, splitName, type CallContext, type ServiceBinding } from '@lth/grpc-kit';
import { DataFeed } from './data-feed';
import { inputNormalization } from './input-normalization';
import { cleanUp } from './clean-up';
import { loadMaskFor, networkFor, requireModel } from './model-weights';
import { Semaphore } from './semaphore';

/** Accuracy and loss of weights under a mask on a split. */
export function evaluationService(store: ArtifactStore, feed: DataFeed): ServiceBinding {
  const slots = new Semaphore(1);
  const implementation: evaluationV1.EvaluationServiceImplementation = {
    async evaluate(req, ctx: CallContext) {
      requireModel(req.model);
      const split = splitName(req.split);
      if (req.batchSize === 0) throw new InvalidArgumentError('batch_size must be at least 1');
      if (req.perturbation && !req.maskDigest)
        throw new InvalidArgumentError('perturbation needs mask_digest: it perturbs a subnetwork');
      const info = await feed.describe(req.dataset);
      const normalization = inputNormalization(req.normalization, info.channels);
      const weights = await getWeights(store, checkDigest(req.weightsDigest, 'weights_digest'));
      const release = await slots.acquire(ctx.signal);
      let network: ReturnType<typeof networkFor> | undefined;
      let evaluator: Evaluator | undefined;
      try {
        network = networkFor(req.model, info);
        checkBatchFits(network, req.batchSize, 'evaluation');
        const scoring = new Evaluator(network);
        evaluator = scoring;
        const mask = await loadMaskFor(store, network, req.maskDigest);
        if (mask && req.perturbation) network.setWeights(perturbSurvivors(weights, mask, req.perturbation));
        else network.setWeights(mask ? applyMask(weights, mask) : weights);
        const started = performance.now();
        const input = { height: info.height, width: info.width, channels: info.channels };
        const layout = { input, numClasses: info.numClasses, normalization };
        for await (const batch of feed.batches(
          req.dataset,
          split,
          { seed: 0, batchSize: req.batchSize, shuffle: false, maxExamples: req.maxExamples },
          ctx.signal,
        )) {
          const { x, y } = batchTensors(batch.pixels, batch.labels, layout);
          scoring.add(x, y);
          tf.dispose([x, y]);
        }
        const result = await scoring.result();
        return { ...result, seconds: (performance.now() - started) / 1000, backend: activeBackend() };
      } finally {
        // The slot is released whatever disposing does.
        cleanUp(
          () => evaluator?.dispose(),
          () => network?.dispose(),
          release,
        );
      }
    },
  };
  const { EvaluationServiceDefinition: definition } = evaluationV1;
  return { name: definition.fullName, register: (server) => server.add(definition, implementation) };
}

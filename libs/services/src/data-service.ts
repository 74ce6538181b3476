import { createRng, deriveSeed, InvalidArgumentError } from '@lth/core';
import {
  augmentBatch,
  NO_AUGMENTATION,
  type AugmentationRecipe,
  type Dataset,
  type DatasetInfo,
  type DatasetRegistry,
} from '@lth/datasets';
import { BatchMessagePool } from './batch-message';
import { dataV1, splitName, type CallContext, type ServiceBinding } from '@lth/grpc-kit';

function toProto(info: DatasetInfo): dataV1.DatasetInfo {
  return { ...info, numClasses: info.numClasses, classNames: info.classNames };
}

export interface DataServiceStats {
  bytesStreamed: number;
}

/** What a request's augmentation asks of this dataset (unset: nothing). */
function augmentationFor(a: dataV1.Augmentation | undefined, dataset: Dataset): AugmentationRecipe {
  if (!a) return NO_AUGMENTATION;
  if (a.datasetDefault) return dataset.augmentation;
  const { height, width } = dataset.info;
  if (a.cropPadding >= Math.min(height, width))
    throw new InvalidArgumentError(`augmentation.crop_padding ${a.cropPadding} is not below the image size`);
  return { cropPadding: a.cropPadding, horizontalFlip: a.horizontalFlip };
}

/** Lists datasets and streams batches of raw uint8 pixels (as bytes, not repeated numbers). */
export function dataService(registry: DatasetRegistry, stats: DataServiceStats = { bytesStreamed: 0 }): ServiceBinding {
  const implementation: dataV1.DataServiceImplementation = {
    async listDatasets() {
      return { datasets: await Promise.all(registry.names().map(async (n) => toProto((await registry.get(n)).info))) };
    },
    async describeDataset(req) {
      return { dataset: toProto((await registry.get(req.name)).info) };
    },
    async *streamBatches(req, ctx: CallContext) {
      if (req.batchSize === 0) throw new InvalidArgumentError('batch_size must be at least 1');
      const dataset = await registry.get(req.dataset);
      const messages = new BatchMessagePool();
      const batches = dataset.batches(
        splitName(req.split),
        {
          seed: req.seed,
          batchSize: req.batchSize,
          shuffle: req.shuffle,
          shardIndex: req.shardIndex,
          shardCount: req.shardCount,
          maxExamples: req.maxExamples,
        },
        messages.take,
      );
      const recipe = augmentationFor(req.augmentation, dataset);
      const rng = createRng(deriveSeed(req.seed, 'augment'));
      for (const b of batches) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        augmentBatch(b, dataset.info, recipe, rng);
        yield b;
        stats.bytesStreamed += b.pixels.byteLength + b.labels.byteLength;
        await messages.roomFor(ctx.signal);
      }
    },
  };
  const { DataServiceDefinition: definition } = dataV1;
  return { name: definition.fullName, register: (server) => server.add(definition, implementation) };
}

import { InvalidArgumentError } from '@lth/core';
import type { DatasetInfo, DatasetRegistry } from '@lth/datasets';
import { batchMessage } from './batch-message';
import { dataV1, splitName, type CallContext, type ServiceBinding } from '@lth/grpc-kit';

function toProto(info: DatasetInfo): dataV1.DatasetInfo {
  return { ...info, numClasses: info.numClasses, classNames: info.classNames };
}

export interface DataServiceStats {
  bytesStreamed: number;
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
        batchMessage,
      );
      for (const b of batches) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        yield b;
        stats.bytesStreamed += b.pixels.byteLength + b.labels.byteLength;
      }
    },
  };
  const { DataServiceDefinition: definition } = dataV1;
  return { name: definition.fullName, register: (server) => server.add(definition, implementation) };
}

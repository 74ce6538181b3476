import { splitEnum, type DataClient, type dataV1, type SplitName } from '@lth/grpc-kit';

/** The data service as seen by the services that train and evaluate. */
export class DataFeed {
  constructor(private readonly client: DataClient) {}

  async describe(name: string): Promise<dataV1.DatasetInfo> {
    return (await this.client.describeDataset({ name })).dataset!;
  }

  /** One pass over a split; gRPC flow control prefetches the next batches while one trains. */
  async *batches(
    dataset: string,
    split: SplitName,
    options: {
      seed: number;
      batchSize: number;
      shuffle: boolean;
      maxExamples: number;
      /** Training only: evaluation is never augmented. */
      augmentation?: dataV1.Augmentation | undefined;
    },
    signal?: AbortSignal,
  ): AsyncGenerator<dataV1.StreamBatchesResponse> {
    const request = { dataset, split: splitEnum(split), shardIndex: 0, shardCount: 1, ...options };
    yield* this.client.streamBatches(request, { signal });
  }
}

export function splitSize(info: dataV1.DatasetInfo, split: SplitName, maxExamples: number): number {
  const n = { train: info.trainSize, validation: info.validationSize, test: info.testSize }[split];
  return maxExamples > 0 ? Math.min(n, maxExamples) : n;
}

import type { SplitName } from '@lth/grpc-kit';
import { callUnary, DEADLINES, deadlineIn, dataV1, Metadata, splitEnum } from '@lth/grpc-kit';

/** The data service as seen by the services that train and evaluate. */
export class DataFeed {
  constructor(private readonly client: dataV1.DataServiceClient) {}

  async describe(name: string): Promise<dataV1.DatasetInfo> {
    const res = await callUnary(this.client, this.client.describeDataset, { name }, DEADLINES.describeDataset);
    return res.dataset!;
  }

  /** One pass over a split; gRPC flow control prefetches the next batches while one trains. */
  async *batches(
    dataset: string,
    split: SplitName,
    options: { seed: number; batchSize: number; shuffle: boolean; maxExamples: number },
    signal?: AbortSignal,
  ): AsyncGenerator<dataV1.StreamBatchesResponse> {
    const call = this.client.streamBatches(
      {
        dataset,
        split: splitEnum(split),
        seed: options.seed,
        batchSize: options.batchSize,
        shuffle: options.shuffle,
        shardIndex: 0,
        shardCount: 1,
        maxExamples: options.maxExamples,
      },
      new Metadata(),
      { deadline: deadlineIn(DEADLINES.streamBatches) },
    );
    const cancel = () => call.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      for await (const batch of call) yield batch as dataV1.StreamBatchesResponse;
    } finally {
      signal?.removeEventListener('abort', cancel);
      call.cancel();
    }
  }
}

export function splitSize(info: dataV1.DatasetInfo, split: SplitName, maxExamples: number): number {
  const n = { train: info.trainSize, validation: info.validationSize, test: info.testSize }[split];
  return maxExamples > 0 ? Math.min(n, maxExamples) : n;
}

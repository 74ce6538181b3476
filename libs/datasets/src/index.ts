export { Dataset, type DatasetInfo, type SplitName, type Batch, type BatchOptions } from './dataset';
export { DatasetRegistry, idxDataset, PACKAGED_DATASET_NAMES, type DatasetDefinition } from './registry';
export { parseIdx, readIdxPair, encodeIdx } from './idx';
export { encodeExamples, decodeExamples, cachedExamples } from './example-cache';
export type { Examples } from './examples';

export {
  Dataset,
  type DatasetInfo,
  type SplitName,
  type Batch,
  type BatchOptions,
  type BatchAllocator,
} from './dataset';
export { DatasetRegistry, idxDataset, PACKAGED_DATASET_NAMES, type DatasetDefinition } from './registry';
export type { Examples } from './examples';

export {
  Dataset,
  type DatasetInfo,
  type SplitName,
  type Batch,
  type BatchOptions,
  type BatchAllocator,
} from './dataset';
export { DatasetRegistry, PACKAGED_DATASET_NAMES, type DatasetDefinition } from './registry';
export { fileDataset, type ConversionProgress } from './file-dataset';
export { readDatasetSources } from './dataset-sources-file';
export { encodeIdx } from './idx';
export type { Examples } from './examples';
export { augmentBatch, isAugmenting, NO_AUGMENTATION, type AugmentationRecipe } from './augment';

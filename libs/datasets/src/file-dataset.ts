import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { DatasetSource } from '@lth/core';
import { readCifar } from './cifar';
import { NO_AUGMENTATION, type AugmentationRecipe } from './augment';
import { Dataset } from './dataset';
import { cachedClassNames, cachedExamples } from './example-cache';
import { concatExamples, type Examples } from './examples';
import { readIdxSplits } from './idx';
import { imageFolderClasses, readImageFolderSplit } from './image-folder';
import type { DatasetDefinition } from './registry';
import { readSvhn } from './svhn';
import { DIGITS, SPLIT_SEED } from './split-seed';

/** Progress of a conversion that takes a while (decoding an image folder): images of a split. */
export type ConversionProgress = (p: { split: string; done: number; total: number }) => void;

/**
 * A dataset's own train and test files: its test split is the test files; `validation` examples are
 * held out of train by the fixed split seed, so every service and every run sees the same three splits.
 */
export function withHeldOutValidation(
  name: string,
  classNames: string[],
  parts: { train: Examples; test: Examples },
  options: { validation: number; augmentation: AugmentationRecipe },
): Dataset {
  const { train, test } = parts;
  const all = concatExamples([train, test]);
  const pool = Dataset.fromPool({
    name,
    classNames,
    examples: train,
    sizes: { validation: options.validation, test: 0 },
    splitSeed: SPLIT_SEED,
  });
  const splits = {
    train: pool.indices('train'),
    validation: pool.indices('validation'),
    test: Uint32Array.from({ length: test.count }, (_, i) => train.count + i),
  };
  return new Dataset(name, classNames, all, { splits, augmentation: options.augmentation });
}

/**
 * Each format's training recipe when a campaign asks for the dataset's own: CIFAR's padded crop and
 * flip (He et al. 2016), SVHN's crop without the flip (a mirrored digit is another digit or none),
 * nothing for IDX digits, the flip for natural images in folders (already resized and center-cropped).
 */
const RECIPES: Record<DatasetSource['format'], AugmentationRecipe> = {
  'cifar-10': { cropPadding: 4, horizontalFlip: true },
  'cifar-100': { cropPadding: 4, horizontalFlip: true },
  svhn: { cropPadding: 4, horizontalFlip: false },
  idx: NO_AUGMENTATION,
  'image-folder': { cropPadding: 0, horizontalFlip: true },
};

async function readSource(
  source: DatasetSource,
  onProgress?: ConversionProgress,
): Promise<{ train: Examples; test: Examples; classNames: string[] }> {
  const dir = source.path;
  switch (source.format) {
    case 'cifar-10':
    case 'cifar-100': {
      const { train, test, classNames } = await readCifar(dir, source.format);
      return { train: concatExamples(train), test: concatExamples(test), classNames };
    }
    case 'svhn':
      return { ...(await readSvhn(dir)), classNames: DIGITS };
    case 'idx':
      return { ...(await readIdxSplits(dir)), classNames: DIGITS };
    case 'image-folder': {
      const classNames = await imageFolderClasses(dir);
      const size = source.image!;
      const progress = (split: string) => (done: number, total: number) => onProgress?.({ split, done, total });
      const train = await readImageFolderSplit(dir, 'train', classNames, { size, onProgress: progress('train') });
      const test = await readImageFolderSplit(dir, 'test', classNames, { size, onProgress: progress('test') });
      return { train, test, classNames };
    }
  }
}

/**
 * A dataset in files (CIFAR-10/100 binary, SVHN .mat, IDX, an image folder), converted once into the
 * uint8 cache under a name that changes with its format, path and image size. The conversion reads
 * the files again only when that cache entry is gone: after changing the files in place, delete it.
 */
export function fileDataset(source: DatasetSource, onProgress?: ConversionProgress): DatasetDefinition {
  const key = createHash('sha256')
    .update(JSON.stringify({ format: source.format, path: resolve(source.path), image: source.image ?? null }))
    .digest('hex')
    .slice(0, 16);
  return {
    name: source.name,
    description: `${source.format} files in ${source.path}`,
    load: async (cacheDir) => {
      const base = join(cacheDir, `${source.name}-${key}`);
      let read: Promise<{ train: Examples; test: Examples; classNames: string[] }> | undefined;
      const once = () => (read ??= readSource(source, onProgress));
      const train = await cachedExamples(`${base}.train.v1.bin`, async () => (await once()).train);
      const test = await cachedExamples(`${base}.test.v1.bin`, async () => (await once()).test);
      const classNames = await cachedClassNames(`${base}.classes.json`, async () => (await once()).classNames);
      const options = { validation: source.validation, augmentation: RECIPES[source.format] };
      return withHeldOutValidation(source.name, classNames, { train, test }, options);
    },
  };
}

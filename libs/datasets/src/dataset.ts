import { InvalidArgumentError, permutation } from '@lth/core';
import type { Examples } from './examples';
import { NO_AUGMENTATION, type AugmentationRecipe } from './augment';

export type SplitName = 'train' | 'validation' | 'test';

export interface DatasetInfo {
  name: string;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  classNames: string[];
  trainSize: number;
  validationSize: number;
  testSize: number;
}

export interface BatchOptions {
  seed: number;
  batchSize: number;
  shuffle: boolean;
  shardIndex: number;
  shardCount: number;
  /** 0 means the whole split. */
  maxExamples: number;
}

export interface Batch {
  count: number;
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** Where a batch of `count` examples is gathered: `pixelBytes` and `count` bytes, both written in full. */
export type BatchAllocator<B extends Batch = Batch> = (count: number, pixelBytes: number) => B;

const freshBatch: BatchAllocator = (count, pixelBytes) => ({
  count,
  pixels: new Uint8Array(pixelBytes),
  labels: new Uint8Array(count),
});

/**
 * A dataset in memory with its deterministic splits. Splits are fixed by the dataset's own
 * split seed, so every experiment and service sees the same train/validation/test images.
 */
export class Dataset {
  private readonly splits: Record<SplitName, Uint32Array>;
  readonly info: DatasetInfo;

  /** The dataset's own training recipe, used when a request asks for the dataset's default. */
  readonly augmentation: AugmentationRecipe;

  constructor(
    name: string,
    classNames: string[],
    private readonly examples: Examples,
    layout: { splits: Record<SplitName, Uint32Array>; augmentation?: AugmentationRecipe },
  ) {
    const { splits } = layout;
    this.splits = splits;
    this.augmentation = layout.augmentation ?? NO_AUGMENTATION;
    this.info = {
      name,
      height: examples.height,
      width: examples.width,
      channels: examples.channels,
      numClasses: classNames.length,
      classNames,
      trainSize: splits.train.length,
      validationSize: splits.validation.length,
      testSize: splits.test.length,
    };
  }

  /** Splits one pool: test first, then validation, the rest is train, in the seed's order. */
  static fromPool(pool: {
    name: string;
    classNames: string[];
    examples: Examples;
    sizes: { validation: number; test: number };
    splitSeed: number;
  }): Dataset {
    const { name, classNames, examples, sizes, splitSeed } = pool;
    if (sizes.validation + sizes.test >= examples.count) {
      throw new InvalidArgumentError(
        `${name}: ${examples.count} examples cannot hold ${sizes.test} test and ${sizes.validation} validation`,
      );
    }
    const order = permutation(examples.count, splitSeed);
    const test = order.slice(0, sizes.test);
    const validation = order.slice(sizes.test, sizes.test + sizes.validation);
    const train = order.slice(sizes.test + sizes.validation);
    return new Dataset(name, classNames, examples, {
      splits: { train: sortedCopy(train), validation: sortedCopy(validation), test: sortedCopy(test) },
    });
  }

  indices(split: SplitName): Uint32Array {
    return this.splits[split];
  }

  /**
   * One pass over a split in batches; the order is fixed by the seed when shuffling. `allocate`
   * lets a caller gather each batch where it will be sent from.
   */
  batches(split: SplitName, options: BatchOptions): Generator<Batch>;
  batches<B extends Batch>(split: SplitName, options: BatchOptions, allocate: BatchAllocator<B>): Generator<B>;
  *batches(split: SplitName, options: BatchOptions, allocate: BatchAllocator = freshBatch): Generator<Batch> {
    const { seed, batchSize, shuffle, shardIndex, shardCount, maxExamples } = options;
    if (batchSize < 1) throw new InvalidArgumentError('batch_size must be at least 1');
    if (shardCount < 1 || shardIndex >= shardCount) {
      throw new InvalidArgumentError(`shard_index ${shardIndex} is not below shard_count ${shardCount}`);
    }
    const base = this.splits[split];
    let order: Uint32Array = base;
    if (shuffle) {
      const p = permutation(base.length, seed);
      order = new Uint32Array(base.length);
      for (let i = 0; i < base.length; i++) order[i] = base[p[i]!]!;
    }
    if (shardCount > 1) order = order.filter((_, i) => i % shardCount === shardIndex);
    if (maxExamples > 0 && order.length > maxExamples) order = order.subarray(0, maxExamples);
    const { height, width, channels } = this.examples;
    const size = height * width * channels;
    const src = this.examples.pixels;
    for (let start = 0; start < order.length; start += batchSize) {
      const count = Math.min(batchSize, order.length - start);
      const batch = allocate(count, count * size);
      const { pixels, labels } = batch;
      for (let i = 0; i < count; i++) {
        const idx = order[start + i]!;
        pixels.set(src.subarray(idx * size, (idx + 1) * size), i * size);
        labels[i] = this.examples.labels[idx]!;
      }
      yield batch;
    }
  }
}

function sortedCopy(a: Uint32Array): Uint32Array {
  return Uint32Array.from(a).sort();
}

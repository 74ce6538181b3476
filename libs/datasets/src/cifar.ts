import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError, quote } from '@lth/core';
import type { Examples } from './examples';

/**
 * CIFAR-10 and CIFAR-100 in their binary version (www.cs.toronto.edu/~kriz/cifar.html): records of
 * label byte(s) then 3072 pixel bytes, the red plane, then green, then blue, each 32x32 row-major.
 * CIFAR-100 records carry the coarse label, then the fine one; lth uses the fine one (100 classes).
 */
export type CifarVariant = 'cifar-10' | 'cifar-100';

const SIDE = 32;
const PLANE = SIDE * SIDE;

const LAYOUT = {
  'cifar-10': {
    labelBytes: 1,
    train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
    test: ['test_batch.bin'],
    names: 'batches.meta.txt',
    classes: 10,
  },
  'cifar-100': {
    labelBytes: 2,
    train: ['train.bin'],
    test: ['test.bin'],
    names: 'fine_label_names.txt',
    classes: 100,
  },
} as const;

/** Records of one binary file as NHWC examples. */
export function parseCifarRecords(bytes: Uint8Array, variant: CifarVariant, what: string): Examples {
  const { labelBytes, classes } = LAYOUT[variant];
  const record = labelBytes + 3 * PLANE;
  if (bytes.length === 0 || bytes.length % record !== 0)
    throw new InvalidArgumentError(`${what} is ${bytes.length} bytes: not a whole number of ${variant} records`);
  const count = bytes.length / record;
  const pixels = new Uint8Array(count * 3 * PLANE);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const base = n * record;
    const label = bytes[base + labelBytes - 1]!;
    if (label >= classes) throw new InvalidArgumentError(`${what}: record ${n} has label ${label} of ${classes}`);
    labels[n] = label;
    const planes = base + labelBytes;
    const out = n * 3 * PLANE;
    for (let p = 0; p < PLANE; p++) {
      pixels[out + 3 * p] = bytes[planes + p]!;
      pixels[out + 3 * p + 1] = bytes[planes + PLANE + p]!;
      pixels[out + 3 * p + 2] = bytes[planes + 2 * PLANE + p]!;
    }
  }
  return { count, height: SIDE, width: SIDE, channels: 3, pixels, labels };
}

async function readIn(dir: string, file: string): Promise<Uint8Array> {
  try {
    return await readFile(join(dir, file));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`${quote(dir)} has no ${file}: not the binary version of the dataset`);
    throw e;
  }
}

/** The train and test files of the extracted archive (`cifar-10-batches-bin/`, `cifar-100-binary/`). */
export async function readCifar(
  dir: string,
  variant: CifarVariant,
): Promise<{ train: Examples[]; test: Examples[]; classNames: string[] }> {
  const layout = LAYOUT[variant];
  const read = (files: readonly string[]) =>
    Promise.all(files.map(async (f) => parseCifarRecords(await readIn(dir, f), variant, f)));
  const names = new TextDecoder()
    .decode(await readIn(dir, layout.names))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (names.length !== layout.classes)
    throw new InvalidArgumentError(`${layout.names} names ${names.length} classes; ${variant} has ${layout.classes}`);
  return { train: await read(layout.train), test: await read(layout.test), classNames: names };
}

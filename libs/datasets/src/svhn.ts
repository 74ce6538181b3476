import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError, quote } from '@lth/core';
import type { Examples } from './examples';
import { readMatFile } from './mat-file';

/**
 * SVHN's cropped digits (ufldl.stanford.edu/housenumbers), format 2: `X` is [32, 32, 3, N] uint8 and `y`
 * [N, 1] with labels 1..10, where 10 is the digit 0. lth's labels are the digits themselves.
 */
export function svhnExamples(bytes: Uint8Array, what: string): Examples {
  const arrays = readMatFile(bytes, what);
  const x = arrays.get('X');
  const y = arrays.get('y');
  if (!x || !y) throw new InvalidArgumentError(`${what} has no X and y arrays: not an SVHN format-2 file`);
  const [height, width, channels, count] = x.dims;
  if (x.dims.length !== 4 || !(x.data instanceof Uint8Array) || channels !== 3)
    throw new InvalidArgumentError(
      `${what}: X is [${x.dims.slice(0, 8)}] ${x.data.constructor.name}, not [32, 32, 3, N] uint8`,
    );
  if (y.data.length !== count) throw new InvalidArgumentError(`${what}: ${y.data.length} labels for ${count} images`);
  const h = height!;
  const w = width!;
  const n = count!;
  // MATLAB is column-major: X(row, col, channel, image) is at row + h*(col + w*(channel + 3*image)).
  const pixels = new Uint8Array(n * h * w * 3);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++)
      for (let col = 0; col < w; col++)
        for (let row = 0; row < h; row++)
          pixels[((i * h + row) * w + col) * 3 + c] = x.data[row + h * (col + w * (c + 3 * i))]!;
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = Number(y.data[i]);
    if (!Number.isInteger(label) || label < 1 || label > 10)
      throw new InvalidArgumentError(`${what}: label ${label} of image ${i} is not 1..10`);
    labels[i] = label % 10;
  }
  return { count: n, height: h, width: w, channels: 3, pixels, labels };
}

export async function readSvhn(dir: string): Promise<{ train: Examples; test: Examples }> {
  const read = async (file: string) => {
    try {
      return svhnExamples(await readFile(join(dir, file)), file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`${quote(dir)} has no ${file}`);
      throw e;
    }
  };
  return { train: await read('train_32x32.mat'), test: await read('test_32x32.mat') };
}

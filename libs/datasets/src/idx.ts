import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InvalidArgumentError, NotFoundError, quote } from '@lth/core';
import type { Examples } from './examples';

/**
 * IDX, the file format of the original MNIST distribution (and Fashion-MNIST, KMNIST, ...):
 * a big-endian magic (0x0000 0x08=ubyte, dimension count), the dimensions, then the bytes.
 * Gzipped files (.gz) are read too.
 */
export function parseIdx(bytes: Uint8Array, what: string): { dims: number[]; data: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || view.getUint16(0) !== 0 || bytes[2] !== 0x08) {
    throw new InvalidArgumentError(`${what} is not an unsigned-byte IDX file`);
  }
  const rank = bytes[3]!;
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const offset = 4 + 4 * rank;
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== offset + size) {
    throw new InvalidArgumentError(`${what}: header says ${size} bytes of data, file has ${bytes.length - offset}`);
  }
  return { dims, data: bytes.subarray(offset) };
}

async function readIdx(path: string): Promise<{ dims: number[]; data: Uint8Array }> {
  let bytes: Uint8Array = await readFile(path);
  if (path.endsWith('.gz')) bytes = gunzipSync(bytes);
  return parseIdx(bytes, path);
}

/** Reads an images file ([n, h, w] or [n, h, w, c]) and its labels file ([n]). */
export async function readIdxPair(imagesPath: string, labelsPath: string): Promise<Examples> {
  const images = await readIdx(imagesPath);
  const labels = await readIdx(labelsPath);
  const [count, height, width, channels = 1] = images.dims;
  if (images.dims.length < 3 || images.dims.length > 4)
    throw new InvalidArgumentError(`${imagesPath}: images must be rank 3 or 4`);
  if (labels.dims.length !== 1 || labels.dims[0] !== count) {
    throw new InvalidArgumentError(`${labelsPath}: ${labels.dims[0]} labels for ${count} images`);
  }
  return { count: count!, height: height!, width: width!, channels, pixels: images.data, labels: labels.data };
}

/**
 * A full dataset in IDX files in a directory, under the standard names
 * (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...).
 */
export async function readIdxSplits(dir: string): Promise<{ train: Examples; test: Examples }> {
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
    throw new NotFoundError(`${quote(dir)} has no ${prefix}-images-idx3-ubyte[.gz] with its labels`);
  };
  return { train: await pair('train'), test: await pair('t10k') };
}

/** Builds an IDX file (used by tests and by tools that export data). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

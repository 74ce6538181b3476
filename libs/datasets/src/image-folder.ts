import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { InvalidArgumentError, NotFoundError, quote } from '@lth/core';
import type { Examples } from './examples';

export interface ImageSize {
  height: number;
  width: number;
  channels: 1 | 3;
}

const IMAGE_FILE = /\.(png|jpe?g|webp)$/i;
/** Images decoded between progress reports. */
const PROGRESS_EVERY = 1000;

/** How far the decoding of a split has come: images decoded, of how many. */
export type DecodeProgress = (done: number, total: number) => void;

/** Decodes at once; sharp runs each on libuv's thread pool. */
const CONCURRENT_DECODES = 8;

/** A class directory's file names, sorted; none when the split has no directory for the class. */
async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** The class names: the subdirectories of `train/`, sorted (torchvision's ImageFolder does the same). */
export async function imageFolderClasses(root: string): Promise<string[]> {
  const entries = await readdir(join(root, 'train'), { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new NotFoundError(`${quote(root)} has no train/ directory of class directories`);
    throw e;
  });
  const classes = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  if (classes.length < 2)
    throw new InvalidArgumentError(`${quote(join(root, 'train'))} holds ${classes.length} class directories`);
  if (classes.length > 256)
    throw new InvalidArgumentError(`${quote(root)} has ${classes.length} classes; lth labels are one byte`);
  return classes;
}

/**
 * One split of an image folder (`<split>/<class>/<image>`): every PNG, JPEG or WebP decoded by sharp,
 * resized to cover `size` and center-cropped to it, as grey or sRGB bytes. Files that are not images
 * by name are ignored; an image that does not decode is an error naming it.
 */
export async function readImageFolderSplit(
  root: string,
  split: 'train' | 'test',
  classes: readonly string[],
  options: { size: ImageSize; onProgress?: DecodeProgress },
): Promise<Examples> {
  const { size, onProgress } = options;
  const files: { path: string; label: number }[] = [];
  for (const [label, name] of classes.entries()) {
    const dir = join(root, split, name);
    for (const f of await listDir(dir)) if (IMAGE_FILE.test(f)) files.push({ path: join(dir, f), label });
  }
  if (files.length === 0) throw new InvalidArgumentError(`${quote(join(root, split))} holds no images`);
  const { height, width, channels } = size;
  const bytes = height * width * channels;
  const pixels = new Uint8Array(files.length * bytes);
  const labels = Uint8Array.from(files, (f) => f.label);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      let image = sharp(files[i]!.path).resize(width, height, { fit: 'cover', position: 'centre' }).removeAlpha();
      image = channels === 1 ? image.grayscale() : image.toColourspace('srgb');
      let data: Buffer;
      try {
        data = await image.raw().toBuffer();
      } catch (e) {
        throw new InvalidArgumentError(
          `${quote(files[i]!.path)} does not decode as an image (${String((e as Error).message).slice(0, 80)})`,
        );
      }
      if (data.length !== bytes)
        throw new InvalidArgumentError(`${quote(files[i]!.path)}: decoded to ${data.length} bytes`);
      pixels.set(data, i * bytes);
      decoded++;
      if (decoded % PROGRESS_EVERY === 0 || decoded === files.length) onProgress?.(decoded, files.length);
    }
  };
  let decoded = 0;
  await Promise.all(Array.from({ length: CONCURRENT_DECODES }, worker));
  return { count: files.length, height, width, channels, pixels, labels };
}

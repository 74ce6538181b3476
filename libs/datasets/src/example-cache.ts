import { readFile } from 'node:fs/promises';
import { writeFileAtomically } from '@lth/store';
import type { Examples } from './examples';

/**
 * A converted dataset on disk: `LTHDATA1`, five little-endian u32 (version, count, height,
 * width, channels), pixels, labels. Loading it takes milliseconds where parsing the source
 * JSON takes seconds.
 */
const MAGIC = 'LTHDATA1';

export function encodeExamples(e: Examples): Uint8Array {
  const out = new Uint8Array(8 + 20 + e.pixels.length + e.labels.length);
  out.set(Buffer.from(MAGIC), 0);
  const view = new DataView(out.buffer);
  [1, e.count, e.height, e.width, e.channels].forEach((v, i) => view.setUint32(8 + 4 * i, v, true));
  out.set(e.pixels, 28);
  out.set(e.labels, 28 + e.pixels.length);
  return out;
}

export function decodeExamples(bytes: Uint8Array): Examples | undefined {
  if (bytes.length < 28 || Buffer.from(bytes.subarray(0, 8)).toString() !== MAGIC) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [version, count, height, width, channels] = [0, 1, 2, 3, 4].map((i) => view.getUint32(8 + 4 * i, true)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const size = count * height * width * channels;
  if (version !== 1 || bytes.length !== 28 + size + count) return undefined;
  return { count, height, width, channels, pixels: bytes.subarray(28, 28 + size), labels: bytes.subarray(28 + size) };
}

/** A converted dataset's class names, beside its examples. */
export async function cachedClassNames(path: string, load: () => Promise<string[]>): Promise<string[]> {
  try {
    const names = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (Array.isArray(names) && names.every((n) => typeof n === 'string')) return names as string[];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && !(e instanceof SyntaxError)) throw e;
  }
  const names = await load();
  await writeFileAtomically(path, JSON.stringify(names));
  return names;
}

/** Returns the cached examples, or loads, caches (atomically) and returns them. */
export async function cachedExamples(path: string, load: () => Promise<Examples>): Promise<Examples> {
  try {
    const hit = decodeExamples(await readFile(path));
    if (hit) return hit;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const examples = await load();
  await writeFileAtomically(path, encodeExamples(examples));
  return examples;
}

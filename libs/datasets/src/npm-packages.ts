import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { concatExamples, type Examples } from './examples';

const SIZE = 28 * 28;

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

/**
 * The `mnist` package: src/digits/<d>.json holds {data: [...]}, every digit's images
 * concatenated, pixels as floats in [0, 1]. Read directly: the package's own set() helper
 * returns wrong split sizes.
 */
export async function loadMnistPackage(): Promise<Examples> {
  const dir = join(packageDir('mnist'), 'src', 'digits');
  const parts: Examples[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const { data } = JSON.parse(await readFile(join(dir, `${digit}.json`), 'utf8')) as { data: number[] };
    if (data.length % SIZE !== 0)
      throw new Error(`mnist digit ${digit}: ${data.length} values is not a whole number of images`);
    const count = data.length / SIZE;
    const pixels = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) pixels[i] = Math.round(Math.min(1, Math.max(0, data[i]!)) * 255);
    parts.push({ count, height: 28, width: 28, channels: 1, pixels, labels: new Uint8Array(count).fill(digit) });
  }
  return concatExamples(parts);
}

/**
 * The `fashion-mnist` package: src/clothes/<c>.json holds {data: [[784 bytes], ...]} per class.
 * A few rows are not 784 long (two in class 0); they are dropped.
 */
export async function loadFashionMnistPackage(): Promise<Examples> {
  const dir = join(packageDir('fashion-mnist'), 'src', 'clothes');
  const parts: Examples[] = [];
  for (let cls = 0; cls < 10; cls++) {
    const { data } = JSON.parse(await readFile(join(dir, `${cls}.json`), 'utf8')) as { data: number[][] };
    const rows = data.filter((r) => Array.isArray(r) && r.length === SIZE);
    const pixels = new Uint8Array(rows.length * SIZE);
    rows.forEach((r, i) => pixels.set(r, i * SIZE));
    parts.push({
      count: rows.length,
      height: 28,
      width: 28,
      channels: 1,
      pixels,
      labels: new Uint8Array(rows.length).fill(cls),
    });
  }
  return concatExamples(parts);
}

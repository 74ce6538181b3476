import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { fileDataset } from './file-dataset';
import { DatasetRegistry } from './registry';

test('an image folder reports its decoding progress once converted, and nothing when read from the cache', async () => {
  const root = await mkdtemp(join(tmpdir(), 'lth-folder-'));
  const image = (rgb: [number, number, number]) =>
    sharp({ create: { width: 12, height: 9, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png();
  for (const [split, cls, file, rgb] of [
    ['train', 'a', '1.png', [255, 0, 0]],
    ['train', 'b', '2.png', [0, 255, 0]],
    ['test', 'a', '3.png', [0, 0, 255]],
  ] as const) {
    await mkdir(join(root, split, cls), { recursive: true });
    await image([...rgb]).toFile(join(root, split, cls, file));
  }
  const source = {
    name: 'tiny-folder',
    format: 'image-folder' as const,
    path: root,
    validation: 0,
    image: { height: 4, width: 4, channels: 1 as const },
  };
  const cache = await mkdtemp(join(tmpdir(), 'lth-folder-cache-'));
  const reports: unknown[] = [];
  const registry = new DatasetRegistry(cache);
  registry.add(fileDataset(source, (p) => reports.push(p)));
  const dataset = await registry.get('tiny-folder');
  assert.deepEqual([dataset.info.channels, dataset.info.trainSize, dataset.info.testSize], [1, 2, 1]);
  assert.deepEqual(reports, [
    { split: 'train', done: 2, total: 2 },
    { split: 'test', done: 1, total: 1 },
  ]);
  const again = new DatasetRegistry(cache);
  const quiet: unknown[] = [];
  again.add(fileDataset(source, (p) => quiet.push(p)));
  await again.get('tiny-folder');
  assert.deepEqual(quiet, []);
});

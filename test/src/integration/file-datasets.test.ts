import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { dataClient, GrpcStatus, openChannel, splitEnum, type DataClient, type dataV1 } from '@lth/grpc-kit';
import { CLI, lthRun, PROGRAMS, tempDir } from './harness';
import { readFileSync } from 'node:fs';
import type { CampaignResults } from '@lth/core';
import { ArtifactStore, checkDigest, getWeightSpecs } from '@lth/store';
import { expectStatus, spawnService } from './calls';

/** Debian's python3 with python3-scipy (.ci/run installs it): writes SVHN's .mat files as scipy does. */
const PYTHON = process.env['LTH_TORCH_PYTHON'] ?? '/usr/bin/python3';

/** A pixel value that says where it is: image n, row r, column c, channel k. */
const pixel = (n: number, r: number, c: number, k: number) => (n * 7 + r * 3 + c * 5 + k * 60) % 256;

/** CIFAR binary records: label byte(s), then the red, green and blue 32x32 planes. */
function cifarRecords(labels: number[][], first: number): Uint8Array {
  const record = labels[0]!.length + 3072;
  const out = new Uint8Array(labels.length * record);
  labels.forEach((l, i) => {
    out.set(l, i * record);
    for (let k = 0; k < 3; k++)
      for (let r = 0; r < 32; r++)
        for (let c = 0; c < 32; c++) out[i * record + l.length + k * 1024 + r * 32 + c] = pixel(first + i, r, c, k);
  });
  return out;
}

let dir: string;
let service: Awaited<ReturnType<typeof spawnService>>;
let client: DataClient;
let closeChannel: () => void;

before(async () => {
  dir = await tempDir('file-datasets');
  // CIFAR-10: five training batches of 3 images, a test batch of 4 (image numbers 0..18).
  const c10 = join(dir, 'cifar-10-batches-bin');
  await mkdir(c10);
  for (let b = 1; b <= 5; b++) {
    await writeFile(join(c10, `data_batch_${b}.bin`), cifarRecords([[b], [b + 1], [b + 2]], (b - 1) * 3));
  }
  await writeFile(join(c10, 'test_batch.bin'), cifarRecords([[9], [8], [7], [6]], 15));
  await writeFile(
    join(c10, 'batches.meta.txt'),
    'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n',
  );
  // CIFAR-100: coarse label, then fine label.
  const c100 = join(dir, 'cifar-100-binary');
  await mkdir(c100);
  await writeFile(
    join(c100, 'train.bin'),
    cifarRecords(
      [
        [1, 42],
        [2, 99],
        [3, 0],
        [4, 7],
      ],
      0,
    ),
  );
  await writeFile(join(c100, 'test.bin'), cifarRecords([[5, 55]], 4));
  await writeFile(join(c100, 'fine_label_names.txt'), Array.from({ length: 100 }, (_, i) => `class${i}`).join('\n'));
  // SVHN format 2, written by scipy: X [32, 32, 3, N] uint8, y [N, 1] with 10 for the digit 0.
  const svhn = join(dir, 'svhn');
  await mkdir(svhn);
  const script = `
import numpy as np, scipy.io, sys
def write(name, first, labels, compress):
    n = len(labels)
    x = np.zeros((32, 32, 3, n), dtype=np.uint8)
    for i in range(n):
        for r in range(32):
            for c in range(32):
                for k in range(3):
                    x[r, c, k, i] = ((first + i) * 7 + r * 3 + c * 5 + k * 60) % 256
    scipy.io.savemat(f"{sys.argv[1]}/{name}", {"X": x, "y": np.array(labels, dtype=np.float64).reshape(n, 1)},
                     do_compression=compress)
write("train_32x32.mat", 0, [10, 1, 2, 3, 4, 5], True)
write("test_32x32.mat", 6, [9, 10], False)
`;
  const res = spawnSync(PYTHON, ['-c', script, svhn], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  // An image folder: PNGs and a JPEG of solid colours in two classes, of different sizes.
  const folder = join(dir, 'pets');
  const solid = (width: number, height: number, [r, g, b]: number[]) =>
    sharp({ create: { width, height, channels: 3, background: { r: r!, g: g!, b: b! } } });
  for (const [split, cls, file, image] of [
    ['train', 'cat', 'a.png', solid(40, 30, [200, 10, 10]).png()],
    ['train', 'cat', 'b.jpg', solid(20, 20, [180, 20, 20]).jpeg({ quality: 95 })],
    ['train', 'dog', 'c.png', solid(16, 64, [10, 10, 220]).png()],
    ['train', 'dog', 'notes.txt', undefined],
    ['test', 'cat', 'd.png', solid(32, 32, [255, 0, 0]).png()],
    ['test', 'dog', 'e.png', solid(32, 32, [0, 0, 255]).png()],
  ] as const) {
    await mkdir(join(folder, split, cls), { recursive: true });
    if (image) await image.toFile(join(folder, split, cls, file));
    else await writeFile(join(folder, split, cls, file), 'not an image');
  }
  // The data service's registry file, with paths relative to it.
  await writeFile(
    join(dir, 'datasets.yaml'),
    `datasets:
  - { name: my-cifar10, format: cifar-10, path: cifar-10-batches-bin, validation: 5 }
  - { name: my-cifar100, format: cifar-100, path: cifar-100-binary, validation: 1 }
  - { name: my-svhn, format: svhn, path: svhn, validation: 2 }
  - { name: pets, format: image-folder, path: pets, validation: 1, image: { height: 8, width: 8, channels: 3 } }
`,
  );
  const args = ['--listen', '127.0.0.1:0', '--store', join(dir, 'store'), '--cache', join(dir, 'cache')];
  service = await spawnService(PROGRAMS.data, [
    ...args,
    '--datasets',
    join(dir, 'datasets.yaml'),
    '--preload',
    'mnist',
  ]);
  const channel = openChannel(service.line.address);
  client = dataClient(channel);
  closeChannel = () => channel.close();
});

after(() => {
  closeChannel?.();
  service?.child.kill('SIGTERM');
});

async function split(name: string, which: 'train' | 'validation' | 'test', augmentation?: dataV1.Augmentation) {
  const request = { dataset: name, split: splitEnum(which), seed: 0, batchSize: 1000, shuffle: false, augmentation };
  const batches = [];
  for await (const b of client.streamBatches({ ...request, shardIndex: 0, shardCount: 1, maxExamples: 0 }))
    batches.push(b);
  return {
    pixels: Buffer.concat(batches.map((b) => b.pixels)),
    labels: [...Buffer.concat(batches.map((b) => b.labels))],
  };
}

test('CIFAR-10 and CIFAR-100 binaries: shapes, classes, deterministic splits, pixels as HWC', async () => {
  const { dataset: c10 } = await client.describeDataset({ name: 'my-cifar10' });
  assert.deepEqual(
    [c10!.height, c10!.width, c10!.channels, c10!.numClasses, c10!.trainSize, c10!.validationSize, c10!.testSize],
    [32, 32, 3, 10, 10, 5, 4],
  );
  assert.equal(c10!.classNames[9], 'truck');
  // The test split is the test batch, in its order: images 15..18, labels 9, 8, 7, 6.
  const test = await split('my-cifar10', 'test');
  assert.deepEqual(test.labels, [9, 8, 7, 6]);
  for (const [n, r, c, k] of [
    [0, 0, 0, 0],
    [1, 5, 17, 2],
    [3, 31, 31, 1],
  ] as const)
    assert.equal(test.pixels[((n * 32 + r) * 32 + c) * 3 + k], pixel(15 + n, r, c, k));
  // Train and validation together are the 15 training images, each once; the split is the same each run.
  const train = await split('my-cifar10', 'train');
  const validation = await split('my-cifar10', 'validation');
  assert.equal(train.labels.length + validation.labels.length, 15);
  assert.deepEqual(await split('my-cifar10', 'validation'), validation);
  const { dataset: c100 } = await client.describeDataset({ name: 'my-cifar100' });
  assert.deepEqual([c100!.numClasses, c100!.trainSize, c100!.validationSize, c100!.testSize], [100, 3, 1, 1]);
  // The fine label, not the coarse one.
  assert.deepEqual((await split('my-cifar100', 'test')).labels, [55]);
});

test("SVHN .mat files as scipy writes them (compressed or not): MATLAB's order, 10 is the digit 0", async () => {
  const { dataset } = await client.describeDataset({ name: 'my-svhn' });
  assert.deepEqual(
    [dataset!.channels, dataset!.numClasses, dataset!.trainSize, dataset!.validationSize],
    [3, 10, 4, 2],
  );
  const test = await split('my-svhn', 'test');
  assert.deepEqual(test.labels, [9, 0]);
  for (const [n, r, c, k] of [
    [0, 0, 1, 0],
    [1, 20, 3, 2],
  ] as const)
    assert.equal(test.pixels[((n * 32 + r) * 32 + c) * 3 + k], pixel(6 + n, r, c, k));
  const train = await split('my-svhn', 'train');
  const validation = await split('my-svhn', 'validation');
  assert.deepEqual([...train.labels, ...validation.labels].sort(), [0, 1, 2, 3, 4, 5]);
});

test('an image folder: classes from directory names, images resized and cropped, non-images skipped', async () => {
  const { dataset } = await client.describeDataset({ name: 'pets' });
  assert.deepEqual(dataset!.classNames, ['cat', 'dog']);
  assert.deepEqual([dataset!.height, dataset!.width, dataset!.channels], [8, 8, 3]);
  assert.deepEqual([dataset!.trainSize, dataset!.validationSize, dataset!.testSize], [2, 1, 2]);
  const test = await split('pets', 'test');
  assert.deepEqual(test.labels, [0, 1]);
  assert.deepEqual([...test.pixels.subarray(0, 3)], [255, 0, 0]);
  assert.deepEqual([...test.pixels.subarray(8 * 8 * 3 + 60, 8 * 8 * 3 + 63)], [0, 0, 255]);
});

test('a campaign names datasets in files; a wrong entry is refused naming its field', async () => {
  const campaign = (datasets: string) => `
name: files
models: [resnet-8]
pretrainings: [{ name: scratch, kind: none }]
tasks: [my-cifar10]
datasets:
${datasets}
`;
  await writeFile(
    join(dir, 'good.yaml'),
    campaign('  - { name: my-cifar10, format: cifar-10, path: cifar-10-batches-bin }'),
  );
  const good = spawnSync(process.execPath, [CLI, 'validate', join(dir, 'good.yaml')], { encoding: 'utf8' });
  assert.equal(good.status, 0, good.stderr);
  await writeFile(join(dir, 'bad.yaml'), campaign('  - { name: my-cifar10, format: cifar-11, path: x }'));
  const bad = spawnSync(process.execPath, [CLI, 'validate', join(dir, 'bad.yaml')], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /datasets\[0\]\.format: /);
  await writeFile(join(dir, 'folder.yaml'), campaign('  - { name: my-cifar10, format: image-folder, path: pets }'));
  const folder = spawnSync(process.execPath, [CLI, 'validate', join(dir, 'folder.yaml')], { encoding: 'utf8' });
  assert.equal(folder.status, 2);
  assert.match(folder.stderr, /datasets\[0\]\.image: image \(height, width, channels\) is required for image-folder/);
});

test('a ticket moved to a task of other images gets a fresh stem that fits them, and a fresh head', async () => {
  const file = join(dir, 'transfer.yaml');
  await writeFile(
    file,
    `
name: transfer-stem
models: [resnet-8]
pretrainings:
  - name: sup
    kind: supervised
    dataset: mnist
    training: { epochs: 1, maxSteps: 3, batchSize: 16, maxExamples: 64 }
tasks: [mnist]
datasets:
  - { name: my-cifar10, format: cifar-10, path: ${join(dir, 'cifar-10-batches-bin')}, validation: 5 }
imp: { rounds: 1 }
transfer: { to: [my-cifar10] }
finetune: { epochs: 1, maxSteps: 2, batchSize: 4, maxExamples: 8 }
evaluation: { maxExamples: 100 }
`,
  );
  const out = join(dir, 'transfer-out');
  const store = join(dir, 'transfer-store');
  const run = lthRun(file, out, store);
  assert.equal(run.status, 0, run.stderr);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as CampaignResults;
  const [experiment] = results.experiments;
  const transfers = experiment!.branches.filter((b) => b.kind === 'transfer');
  assert.deepEqual(
    transfers.map((t) => `${t.round}:${t.task}`),
    ['0:my-cifar10', '1:my-cifar10'],
  );
  const shapes = async (digest: string) =>
    new Map((await getWeightSpecs(new ArtifactStore(store), checkDigest(digest))).map((w) => [w.name, w.shape]));
  const ticket = await shapes(experiment!.rounds[1]!.weightsDigest);
  const moved = await shapes(transfers[1]!.weightsDigest);
  assert.deepEqual(ticket.get('stem/kernel'), [3, 3, 1, 16], 'θ_p and its tickets see grey digits');
  assert.deepEqual(moved.get('stem/kernel'), [3, 3, 3, 16], 'the moved ticket a stem for colour images');
  assert.equal(transfers[1]!.maskDigest, experiment!.rounds[1]!.maskDigest, 'under the same mask');
});

test("training batches get the dataset's own augmentation, the same for the same seed; MNIST's is none", async () => {
  const byDataset = { datasetDefault: true, cropPadding: 0, horizontalFlip: false };
  const plain = await split('my-cifar10', 'train');
  const augmented = await split('my-cifar10', 'train', byDataset);
  assert.notDeepEqual(augmented.pixels, plain.pixels);
  assert.deepEqual(augmented.labels, plain.labels);
  assert.deepEqual(await split('my-cifar10', 'train', byDataset), augmented);
  // Off by default for digits.
  const mnist = await split('mnist', 'validation');
  assert.deepEqual(await split('mnist', 'validation', byDataset), mnist);
  const custom = { datasetDefault: false, cropPadding: 2, horizontalFlip: false };
  assert.notDeepEqual((await split('mnist', 'validation', custom)).pixels, mnist.pixels);
  await assert.rejects(
    split('mnist', 'validation', { ...custom, cropPadding: 40 }),
    expectStatus(GrpcStatus.INVALID_ARGUMENT, /augmentation\.crop_padding 40 is not below the image size/),
  );
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { expandCampaign, parseCampaign, pretrainingsOf } from '@lth/core';
import { connect, refs, type PretrainingRecord } from '@lth/driver';
import { splitEnum } from '@lth/grpc-kit';
import { type LocalServices } from '@lth/local';
import { ArtifactStore, checkDigest, getWeights } from '@lth/store';
import { startServices, tempDir, runLocally } from './harness';

/** Debian's python3, where python3-torch lives (.ci/run installs it). */
const PYTHON = process.env['LTH_TORCH_PYTHON'] ?? '/usr/bin/python3';
const REFERENCE = resolve(__dirname, '../../src/integration/lenet_reference.py');

let dir: string;
let storeRoot: string;
let services: LocalServices;

before(async () => {
  dir = await tempDir('cross-framework');
  storeRoot = join(dir, 'store');
  services = await startServices(storeRoot, 2);
});

after(async () => {
  await services?.stop();
});

/** CI's scale; LTH_CROSS_FRAMEWORK='{"epochs":10,"rounds":3,"seeds":5}' measures at a larger one. */
const scale = { epochs: 2, rounds: 2, seeds: 5, ...JSON.parse(process.env['LTH_CROSS_FRAMEWORK'] ?? '{}') };
const SEEDS = Array.from({ length: scale.seeds }, (_, i) => i);
const recipe = { rounds: scale.rounds, epochs: scale.epochs, batch: 64, lr: 0.1, momentum: 0.9 };
const spec = parseCampaign(`
name: cross-framework
models: [lenet-300-100]
pretrainings:
  - { name: sup, kind: supervised, dataset: fashion-mnist, training: { epochs: 1, batchSize: 64, maxExamples: 20000 } }
tasks: [mnist]
seeds: [${SEEDS.join(', ')}]
imp: { rounds: ${recipe.rounds} }
finetune:
  epochs: ${recipe.epochs}
  batchSize: ${recipe.batch}
  optimizer: { learningRate: ${recipe.lr}, momentum: ${recipe.momentum} }
evaluation: { batchSize: 1000 }
parallelism: 2
`);

/** A split's pixels and labels exactly as the data service serves them, in its order. */
async function exportSplit(split: 'train' | 'test'): Promise<void> {
  const clients = connect(services.replicas[0]!);
  const pixels: Buffer[] = [];
  const labels: Buffer[] = [];
  const request = { dataset: 'mnist', split: splitEnum(split), seed: 0, batchSize: 1000, shuffle: false };
  for await (const batch of clients.data.streamBatches({ ...request, shardIndex: 0, shardCount: 1, maxExamples: 0 })) {
    pixels.push(Buffer.from(batch.pixels));
    labels.push(Buffer.from(batch.labels));
  }
  clients.close();
  await writeFile(join(dir, `${split}-pixels`), Buffer.concat(pixels));
  await writeFile(join(dir, `${split}-labels`), Buffer.concat(labels));
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const standardError = (v: number[]) => {
  const m = mean(v);
  return Math.sqrt(v.reduce((a, x) => a + (x - m) ** 2, 0) / (v.length - 1) / v.length);
};

test('lth and an independent PyTorch IMP agree on LeNet-300-100 from the same θ_p and split', async () => {
  const { results, failed } = await runLocally(spec, { services, storeRoot, parallelism: 2 });
  assert.deepEqual(failed, []);
  const store = new ArtifactStore(storeRoot);
  const [pretraining] = pretrainingsOf(expandCampaign(spec));
  const record = await store.getJson<PretrainingRecord>((await store.getRef(refs.pretraining(pretraining!.id)))!);
  const shapes: Record<string, number[]> = {};
  for (const w of await getWeights(store, checkDigest(record.weightsDigest))) {
    shapes[w.name] = w.shape;
    await writeFile(join(dir, `theta-${w.name.replace('/', '-')}`), Buffer.from(w.values.buffer));
  }
  await exportSplit('train');
  await exportSplit('test');
  const reference = spawnSync(PYTHON, [REFERENCE, JSON.stringify({ dir, weights: shapes, seeds: SEEDS, ...recipe })], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  assert.equal(reference.status, 0, reference.stderr);
  const torch = (JSON.parse(reference.stdout) as { accuracy: number[][] }).accuracy;
  const lth = results.experiments.map((e) => e.rounds.map((r) => r.testAccuracy!));
  const rows = [];
  for (let round = 0; round <= recipe.rounds; round++) {
    const a = lth.map((seed) => seed[round]!);
    const b = torch.map((seed) => seed[round]!);
    const se = Math.sqrt(standardError(a) ** 2 + standardError(b) ** 2);
    rows.push({ round, lth: mean(a), torch: mean(b), difference: mean(a) - mean(b), se });
  }
  console.log(JSON.stringify(rows));
  for (const r of rows) assert.ok(Math.abs(r.difference) <= 3 * r.se, JSON.stringify(r));
});

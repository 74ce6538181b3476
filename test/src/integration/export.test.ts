import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseResultsJson } from '@lth/core';
import { refs, type PretrainingRecord } from '@lth/driver';
import { ArtifactStore, getMask, getWeights } from '@lth/store';
import { tf } from '@lth/tensor';
import { CACHE_DIR, CLI, lthRun, tempDir } from './harness';

const CAMPAIGN = `
name: export
models: [lenet-300-100]
pretrainings:
  - { name: slice, kind: supervised, dataset: mnist, training: { epochs: 1, maxSteps: 20, batchSize: 64 } }
tasks: [mnist]
imp: { rounds: 2 }
finetune: { epochs: 1, batchSize: 64, maxExamples: 640 }
evaluation: { maxExamples: 500 }
`;

function lth(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LTH_CACHE: CACHE_DIR },
  });
}

/** Loads an exported model.json + weights.bin the way a TF.js user would: tf.loadLayersModel. */
async function loadExported(dir: string): Promise<tf.LayersModel> {
  const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  const manifest = modelJson.weightsManifest[0];
  const bin = await readFile(join(dir, manifest.paths[0]));
  return tf.loadLayersModel({
    load: async () => ({
      modelTopology: modelJson.modelTopology,
      weightSpecs: manifest.weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }),
  });
}

test('lth export: a ticket as a TF.js layers model and a PyTorch state_dict, with its mask and card', async () => {
  const dir = await tempDir('export');
  const campaign = join(dir, 'campaign.yaml');
  await writeFile(campaign, CAMPAIGN);
  const storeRoot = join(dir, 'store');
  const run = lthRun(campaign, join(dir, 'out'), storeRoot);
  assert.equal(run.status, 0, run.stderr);
  const results = parseResultsJson(await readFile(join(dir, 'out', 'results.json'), 'utf8'));
  const experiment = results.experiments[0]!;
  const round = experiment.rounds[2]!;
  const store = new ArtifactStore(storeRoot);
  const mask = await getMask(store, round.maskDigest);
  const common = ['--round', '2', '--campaign', campaign, '--store', storeRoot];

  // The trained ticket: the round's fine-tuned weights under its mask, loaded by tf.loadLayersModel.
  const trainedDir = join(dir, 'trained');
  const trained = lth(['export', experiment.id.slice(0, 8), ...common, '--out', trainedDir, '--weights', 'trained']);
  assert.equal(trained.status, 0, trained.stderr);
  const model = await loadExported(trainedDir);
  const stored = new Map((await getWeights(store, round.weightsDigest)).map((w) => [w.name, w]));
  for (const v of model.weights) {
    const values = v.read().dataSync();
    const keep = mask.get(v.originalName)?.keep;
    const want = stored.get(v.originalName)!.values;
    for (let i = 0; i < values.length; i += 97)
      assert.equal(values[i], keep && !keep[i] ? 0 : want[i], `${v.originalName}[${i}]`);
  }
  const card = JSON.parse(await readFile(join(trainedDir, 'card.json'), 'utf8'));
  assert.equal(card.experiment, experiment.id);
  assert.equal(card.testAccuracy, round.testAccuracy);
  assert.ok(Math.abs(card.sparsity - 0.36) < 1e-3);
  assert.deepEqual(
    card.layers.map((l: { name: string }) => l.name),
    ['fc1/kernel', 'fc2/kernel'],
  );
  assert.deepEqual(card.digests.mask, round.maskDigest);
  assert.deepEqual(card.files, ['model.json', 'weights.bin', 'mask.json', 'mask.bin']);
  const maskJson = JSON.parse(await readFile(join(trainedDir, 'mask.json'), 'utf8'));
  assert.deepEqual(maskJson.weightsManifest[0].weights[0], { name: 'fc1/kernel', shape: [784, 300], dtype: 'bool' });

  // The same ticket for PyTorch: a torch model loads it strictly and computes the same logits.
  const torchDir = join(dir, 'torch');
  const exported = lth([
    'export',
    experiment.id,
    ...common,
    '--out',
    torchDir,
    '--weights',
    'trained',
    '--format',
    'pytorch',
  ]);
  assert.equal(exported.status, 0, exported.stderr);
  const input = Float32Array.from({ length: 3 * 784 }, (_, i) => ((i * 37) % 255) / 255);
  const logits = tf.tidy(() => model.predict(tf.tensor(input, [3, 28, 28, 1])) as tf.Tensor).arraySync() as number[][];
  const python = spawnSync('/usr/bin/python3', ['-c', TORCH_LOAD, torchDir], { encoding: 'utf8' });
  assert.equal(python.status, 0, python.stderr);
  const torch = JSON.parse(python.stdout) as { logits: number[][]; prunedNonZero: number; kept: number };
  assert.equal(torch.prunedNonZero, 0, 'pruned weights are 0 in the state_dict');
  assert.equal(torch.kept, round.remainingWeights);
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 10; c++) assert.ok(Math.abs(torch.logits[r]![c]! - logits[r]![c]!) < 1e-4, `logit ${r},${c}`);

  // The rewound ticket (the default): m ⊙ θ_p under the mask, with the fresh head fine-tuning drew.
  const rewoundDir = join(dir, 'rewound');
  assert.equal(lth(['export', experiment.id, ...common, '--out', rewoundDir]).status, 0);
  const rewound = await loadExported(rewoundDir);
  const pretraining = await store.getJson<PretrainingRecord>(
    (await store.getRef(refs.pretraining(await pretrainingId())))!,
  );
  const thetaP = new Map((await getWeights(store, pretraining.weightsDigest)).map((w) => [w.name, w]));
  const fc1 = rewound.weights
    .find((w) => w.originalName === 'fc1/kernel')!
    .read()
    .dataSync();
  const keep = mask.get('fc1/kernel')!.keep;
  for (let i = 0; i < fc1.length; i += 101) assert.equal(fc1[i], keep[i] ? thetaP.get('fc1/kernel')!.values[i] : 0);
  const head = rewound.weights
    .find((w) => w.originalName === 'head/kernel')!
    .read()
    .dataSync();
  assert.notEqual(head[0], thetaP.get('head/kernel')!.values[0], 'a fresh head, not θ_p’s');
  assert.equal(JSON.parse(await readFile(join(rewoundDir, 'card.json'), 'utf8')).freshHead, true);

  // Wrong input is named; nothing is written for it.
  const unknown = lth(['export', 'abcdef', ...common, '--out', join(dir, 'none')]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /no experiment abcdef in/);
  const unfinished = lth(['export', experiment.id, ...common.slice(2), '--round', '7', '--out', join(dir, 'none')]);
  assert.equal(unfinished.status, 1);
  assert.match(unfinished.stderr, new RegExp(`round 7 of experiment ${experiment.id} has not finished`));
  assert.match(lth(['export', experiment.id, ...common, '--out', dir, '--format', 'onnx']).stderr, /--format must be/);

  async function pretrainingId(): Promise<string> {
    const { expandCampaign, parseCampaign } = await import('@lth/core');
    return expandCampaign(parseCampaign(CAMPAIGN))[0]!.settings.pretraining.id;
  }
});

const TORCH_LOAD = `
import json, sys, torch
from torch import nn
d = sys.argv[1]
state = torch.load(f"{d}/state_dict.pt", weights_only=True)
mask = torch.load(f"{d}/mask.pt", weights_only=True)
class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc = nn.Linear(784, 300), nn.Linear(300, 100), nn.Linear(100, 10)
    def forward(self, x):
        return self.fc(torch.relu(self.fc2(torch.relu(self.fc1(x.flatten(1))))))
net = LeNet()
net.load_state_dict(state, strict=True)
x = torch.tensor([((i * 37) % 255) / 255 for i in range(3 * 784)], dtype=torch.float32).reshape(3, 784)
pruned = sum(int(((state[k] != 0) & (mask[k] == 0)).sum()) for k in mask)
kept = sum(int(mask[k].sum()) for k in mask)
print(json.dumps({"logits": net(x).tolist(), "prunedNonZero": pruned, "kept": kept}))
`;

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CampaignResults } from '@lth/core';
import { initBackend, Network, tf } from '@lth/tensor';
import { lthRun, tempDir } from './harness';

/** Saves a model the way any TF.js program does: model.json beside a weights file. */
async function saveLayersModel(dir: string, seed: number): Promise<string> {
  await initBackend('auto');
  const net = new Network('lenet-300-100', { height: 28, width: 28, channels: 1 }, 10);
  net.initialize(seed);
  await net.model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      await writeFile(join(dir, 'weights.bin'), Buffer.from(artifacts.weightData as ArrayBuffer));
      const modelJson = {
        format: 'layers-model',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  net.dispose();
  return join(dir, 'model.json');
}

test('a campaign starts from pre-trained weights in a TF.js layers model file', async () => {
  const dir = await tempDir('file-pretraining');
  const modelJson = await saveLayersModel(dir, 11);
  const campaign = join(dir, 'campaign.yaml');
  await writeFile(
    campaign,
    `
name: from-file
models: [lenet-300-100]
pretrainings:
  - { name: mine, kind: file, path: ${JSON.stringify(modelJson)}, model: lenet-300-100 }
tasks: [mnist]
imp: { rounds: 1 }
finetune: { epochs: 1, batchSize: 64, maxExamples: 640 }
evaluation: { maxExamples: 500 }
`,
  );
  const out = join(dir, 'out');
  const res = lthRun(campaign, out, join(dir, 'store'));
  assert.equal(res.status, 0, res.stderr);
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as CampaignResults;
  const [experiment] = results.experiments;
  assert.equal(experiment!.pretraining, 'mine');
  assert.deepEqual(
    experiment!.rounds.map((r) => r.round),
    [0, 1],
  );
  assert.ok(experiment!.rounds[0]!.testAccuracy! > 0.5);

  // A model whose weight names do not follow lth's layers fails its experiment with the reason.
  const json = JSON.parse(await readFile(modelJson, 'utf8'));
  json.weightsManifest[0].weights[0].name = 'dense_1/kernel';
  await writeFile(modelJson, JSON.stringify(json));
  const bad = lthRun(campaign, join(dir, 'out2'), join(dir, 'store2'));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /weights do not fit lenet-300-100: missing fc1\/kernel; unexpected dense_1\/kernel/);
});

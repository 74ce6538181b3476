import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { expandCampaign, parseCampaign, pretrainingsOf } from '@lth/core';
import { refs, type PretrainingRecord } from '@lth/driver';
import { type CampaignEvent, type LocalServices } from '@lth/local';
import { ArtifactStore, checkDigest, getWeights } from '@lth/store';
import { startServices, tempDir, runLocally } from './harness';

let storeRoot: string;
let services: LocalServices;

before(async () => {
  storeRoot = join(await tempDir('contrastive'), 'store');
  services = await startServices(storeRoot, 1);
});

after(async () => {
  await services?.stop();
});

const training = '{ epochs: 1, maxSteps: 12, batchSize: 32, maxExamples: 640 }';
const spec = parseCampaign(`
name: contrastive
models: [resnet-8]
pretrainings:
  - { name: sup, kind: supervised, dataset: fashion-mnist, training: ${training} }
  - name: simclr
    kind: simclr
    dataset: fashion-mnist
    training: ${training}
    projection: { hidden: 32, dim: 16 }
  - name: moco
    kind: moco
    dataset: fashion-mnist
    training: ${training}
    queueSize: 128
    keyMomentum: 0.99
    projection: { hidden: 32, dim: 16 }
tasks: [mnist]
imp: { rounds: 1 }
finetune: { epochs: 1, maxSteps: 10, batchSize: 32, maxExamples: 320 }
evaluation: { maxExamples: 300 }
parallelism: 1
`);

test('SimCLR and MoCo pre-train on images alone through the fine-tuning service; IMP runs from their θ_p', async () => {
  const events: CampaignEvent[] = [];
  const { results, failed } = await runLocally(spec, { services, storeRoot, parallelism: 1 }, (e) => events.push(e));
  assert.deepEqual(failed, []);
  const store = new ArtifactStore(storeRoot);
  const records = new Map<string, PretrainingRecord>();
  for (const p of pretrainingsOf(expandCampaign(spec))) {
    records.set(p.name, await store.getJson<PretrainingRecord>((await store.getRef(refs.pretraining(p.id)))!));
  }
  assert.ok(records.get('sup')!.testAccuracy! > 0.2, 'supervised θ_p is scored on its labels');
  for (const name of ['simclr', 'moco']) {
    const record = records.get(name)!;
    assert.equal(record.testAccuracy, null, `${name} uses no labels, so it reports no accuracy`);
    assert.match(record.weightsDigest, /^sha256:/);
  }
  // Three different objectives from the same seed and data: three different encoders.
  const digests = new Set([...records.values()].map((r) => r.weightsDigest));
  assert.equal(digests.size, 3);
  // The contrastive runs trained the encoder but not the classifier it never used.
  const [simclr, moco] = await Promise.all([
    getWeights(store, checkDigest(records.get('simclr')!.weightsDigest)),
    getWeights(store, checkDigest(records.get('moco')!.weightsDigest)),
  ]);
  const head = (ws: typeof simclr) => ws.find((w) => w.name === 'head/kernel')!.values;
  assert.deepEqual(head(simclr), head(moco), 'the same seed drew the same untouched head');
  const body = (ws: typeof simclr) => ws.find((w) => w.name === 'stem/kernel')!.values;
  assert.notDeepEqual(body(simclr), body(moco));

  assert.equal(results.experiments.length, 3);
  for (const e of results.experiments) {
    assert.deepEqual(
      e.rounds.map((r) => r.round),
      [0, 1],
    );
    assert.ok(
      e.rounds.every((r) => r.testAccuracy! > 0.1),
      `${e.pretraining}: ${e.rounds.map((r) => r.testAccuracy)}`,
    );
  }
});

test('contrastive pre-trainings are checked: augmentation by views only, SimCLR needs two images a batch', () => {
  const base = 'name: c\nmodels: [resnet-8]\ntasks: [mnist]\npretrainings:\n';
  assert.throws(
    () =>
      parseCampaign(
        base + '  - { name: s, kind: simclr, dataset: mnist, training: { augmentation: { recipe: none } } }',
      ),
    /pretrainings\[0\]\.training\.augmentation: a contrastive pre-training augments by `views`/,
  );
  assert.throws(
    () => parseCampaign(base + '  - { name: s, kind: simclr, dataset: mnist, training: { batchSize: 1 } }'),
    /pretrainings\[0\]\.training\.batchSize: SimCLR needs at least 2/,
  );
  assert.throws(
    () => parseCampaign(base + '  - { name: m, kind: moco, dataset: mnist, keyMomentum: 1 }'),
    /pretrainings\[0\]\.keyMomentum/,
  );
  const moco = parseCampaign(base + '  - { name: m, kind: moco, dataset: mnist, perSeed: true }\nseeds: [0, 1]');
  const ids = new Set(expandCampaign(moco).map((e) => e.settings.pretraining.id));
  assert.equal(ids.size, 2, 'perSeed: one MoCo pre-training per replicate');
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { expandCampaign, parseCampaign } from '@lth/core';
import { connect, refs, type RoundRecord, type ServiceClients } from '@lth/driver';
import { splitEnum } from '@lth/grpc-kit';
import { type LocalServices } from '@lth/local';
import { ArtifactStore } from '@lth/store';
import { OPTIMIZER } from './calls';
import { startServices, tempDir, runLocally } from './harness';

let storeRoot: string;
let services: LocalServices;
let clients: ServiceClients;

before(async () => {
  storeRoot = join(await tempDir('model-selection'), 'store');
  services = await startServices(storeRoot, 1);
  clients = connect(services.replicas[0]!);
});

after(async () => {
  clients?.close();
  await services?.stop();
});

const spec = parseCampaign(`
name: model-selection
models: [lenet-300-100]
pretrainings: [{ name: scratch, kind: none }]
tasks: [mnist]
imp: { rounds: 1 }
finetune:
  epochs: 3
  batchSize: 64
  maxExamples: 256
  selection: best-validation
  optimizer: { learningRate: 0.2, momentum: 0.9 }
evaluation: { batchSize: 100, maxExamples: 400 }
`);

const accuracyOf = async (weightsDigest: string, maskDigest: string, split: 'validation' | 'test') => {
  const request = { model: 'lenet-300-100', dataset: 'mnist', weightsDigest, maskDigest, batchSize: 100 };
  return (await clients.evaluation.evaluate({ ...request, split: splitEnum(split), maxExamples: 400 })).accuracy;
};

async function trainedFor(epochs: number, maskDigest: string): Promise<string> {
  const request = {
    model: 'lenet-300-100',
    dataset: 'mnist',
    initWeightsDigest: '',
    maskDigest,
    seed: 0,
    freshHead: false,
    epochs,
    maxSteps: 0,
    batchSize: 64,
    maxExamples: 256,
    optimizer: { ...OPTIMIZER, learningRate: 0.2 },
  };
  for await (const { event } of clients.finetune.fineTune(request)) {
    if (event?.$case === 'result') return event.value.weightsDigest;
  }
  throw new Error('no result');
}

test('best-validation: the epoch with the best validation accuracy is reported, the last kept beside it', async () => {
  const { results, failed } = await runLocally(spec, { services, storeRoot, parallelism: 1 });
  assert.deepEqual(failed, []);
  const store = new ArtifactStore(storeRoot);
  const [experiment] = expandCampaign(spec);
  for (const n of [0, 1]) {
    const record = await store.getJson<RoundRecord>((await store.getRef(refs.round(experiment!.id, n)))!);
    const selection = record.selection!;
    // Every epoch scored on the validation split: the selected one is the best of the three (ties: earliest).
    const byEpoch = [];
    for (const epochs of [1, 2, 3])
      byEpoch.push(await accuracyOf(await trainedFor(epochs, record.maskDigest), record.maskDigest, 'validation'));
    assert.equal(selection.validationAccuracy, Math.max(...byEpoch), `validation by epoch ${byEpoch}`);
    assert.equal(selection.epoch, byEpoch.indexOf(Math.max(...byEpoch)));
    // The reported test accuracy is the selected weights'; the last epoch's is kept; IMP goes on from the last.
    assert.equal(record.testAccuracy, await accuracyOf(selection.weightsDigest, record.maskDigest, 'test'));
    assert.equal(selection.lastTestAccuracy, await accuracyOf(record.weightsDigest, record.maskDigest, 'test'));
    assert.equal(record.weightsDigest, await trainedFor(3, record.maskDigest));
    const published = results.experiments[0]!.rounds[n]!;
    assert.equal(published.validationAccuracy, selection.validationAccuracy);
    assert.equal(published.selectedEpoch, selection.epoch);
    assert.equal(published.lastTestAccuracy, selection.lastTestAccuracy);
  }
});

test('selection is checked: a contrastive pre-training has no labels to select by', () => {
  const base = 'name: c\nmodels: [lenet-300-100]\ntasks: [mnist]\npretrainings:\n';
  assert.throws(
    () =>
      parseCampaign(base + '  - { name: s, kind: simclr, dataset: mnist, training: { selection: best-validation } }'),
    /pretrainings\[0\]\.training\.selection: a contrastive pre-training has no labels to select by/,
  );
});

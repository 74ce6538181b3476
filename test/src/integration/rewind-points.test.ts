import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { expandCampaign, parseCampaign, pretrainingsOf } from '@lth/core';
import { connect, refs, type PretrainingRecord, type RoundRecord, type ServiceClients } from '@lth/driver';
import { type LocalServices } from '@lth/local';
import { ArtifactStore } from '@lth/store';
import { OPTIMIZER } from './calls';
import { startServices, tempDir, runLocally } from './harness';

let storeRoot: string;
let services: LocalServices;
let clients: ServiceClients;

before(async () => {
  storeRoot = join(await tempDir('rewind-points'), 'store');
  services = await startServices(storeRoot, 1);
  clients = connect(services.replicas[0]!);
});

after(async () => {
  clients?.close();
  await services?.stop();
});

const spec = parseCampaign(`
name: late-rewinding
models: [lenet-300-100]
pretrainings:
  - name: sup
    kind: supervised
    dataset: fashion-mnist
    training: { epochs: 1, maxSteps: 10, batchSize: 64, maxExamples: 640 }
tasks: [mnist]
imp: { rounds: 1, rewind: early, rewindStep: 3 }
finetune: { epochs: 1, batchSize: 64, maxExamples: 640, optimizer: { learningRate: 0.05, momentum: 0.9 } }
evaluation: { maxExamples: 300 }
`);

/** What the fine-tuning service makes of a request: the trained weights' digest. */
async function fineTuned(request: Record<string, unknown>): Promise<string> {
  const base = { dataset: 'mnist', model: 'lenet-300-100', seed: 0, epochs: 1, maxSteps: 0, batchSize: 64 };
  const call = { ...base, maxExamples: 640, optimizer: { ...OPTIMIZER, weightDecay: 0 }, ...request };
  for await (const { event } of clients.finetune.fineTune(call as Parameters<typeof clients.finetune.fineTune>[0])) {
    if (event?.$case === 'result') return event.value.weightsDigest;
  }
  throw new Error('no result');
}

test('late rewinding: round 0 keeps θ_k after k steps, and round 1 trains its ticket from θ_k', async () => {
  const { failed } = await runLocally(spec, { services, storeRoot, parallelism: 1 });
  assert.deepEqual(failed, []);
  const store = new ArtifactStore(storeRoot);
  const [experiment] = expandCampaign(spec);
  const [pretraining] = pretrainingsOf([experiment!]);
  const thetaP = (await store.getJson<PretrainingRecord>((await store.getRef(refs.pretraining(pretraining!.id)))!))
    .weightsDigest;
  const round = async (n: number) => store.getJson<RoundRecord>((await store.getRef(refs.round(experiment!.id, n)))!);
  const [dense, first] = [await round(0), await round(1)];
  assert.match(dense.rewindWeightsDigest ?? '', /^sha256:/);
  assert.notEqual(dense.rewindWeightsDigest, dense.weightsDigest);

  // θ_k is exactly three steps of round 0's fine-tuning: the same request stopped after three steps.
  const init = { initWeightsDigest: thetaP, maskDigest: '', freshHead: true };
  assert.equal(await fineTuned({ ...init, maxSteps: 3 }), dense.rewindWeightsDigest);
  // Round 1 fine-tunes its mask from θ_k, head included: the same request gives its weights.
  const fromThetaK = { initWeightsDigest: dense.rewindWeightsDigest, maskDigest: first.maskDigest, freshHead: false };
  assert.equal(await fineTuned(fromThetaK), first.weightsDigest);
});

test('rewind: early is checked: one of rewindStep and rewindFraction, and only with early', () => {
  const base = 'name: c\nmodels: [lenet-300-100]\npretrainings: [{ name: n, kind: none }]\ntasks: [mnist]\n';
  assert.throws(() => parseCampaign(base + 'imp: { rewind: early }'), /imp\.rewind: rewind: early needs rewindStep/);
  assert.throws(
    () => parseCampaign(base + 'imp: { rewind: early, rewindStep: 2, rewindFraction: 0.1 }'),
    /imp\.rewind: rewind: early needs rewindStep or rewindFraction \(one\)/,
  );
  assert.throws(() => parseCampaign(base + 'imp: { rewindStep: 2 }'), /imp\.rewindStep: applies to rewind: early only/);
  const early = (at: string) => expandCampaign(parseCampaign(base + `imp: { rewind: early, ${at} }`))[0]!.id;
  assert.notEqual(early('rewindStep: 2'), early('rewindStep: 3'), 'θ_k is part of what an experiment is');
  assert.notEqual(early('rewindStep: 2'), early('rewindFraction: 0.1'));
});

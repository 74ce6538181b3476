import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { expandCampaign, parseCampaign, pretrainingsOf } from '@lth/core';
import { refs, type PretrainingRecord } from '@lth/driver';
import { type CampaignEvent, type LocalServices } from '@lth/local';
import { ArtifactStore, checkDigest, getMask, getWeights } from '@lth/store';
import { startServices, tempDir, runLocally } from './harness';

let storeRoot: string;
let services: LocalServices;

before(async () => {
  storeRoot = join(await tempDir('pretraining-tickets'), 'store');
  services = await startServices(storeRoot, 2);
});

after(async () => {
  await services?.stop();
});

const slice = '{ epochs: 1, maxSteps: 10, batchSize: 64, maxExamples: 640 }';
const spec = parseCampaign(`
name: pretraining-tickets
models: [lenet-300-100]
pretrainings:
  - { name: sup, kind: supervised, dataset: fashion-mnist, training: ${slice} }
  - { name: simclr, kind: simclr, dataset: fashion-mnist, training: ${slice}, projection: { hidden: 32, dim: 16 } }
tasks: [mnist]
imp: { rounds: 2 }
pretrainingTickets: { training: { epochs: 1, maxSteps: 6, batchSize: 64, maxExamples: 384 } }
transfer: { from: [pretraining-tickets], to: [mnist] }
finetune: { epochs: 1, batchSize: 64, maxExamples: 640 }
evaluation: { maxExamples: 500 }
parallelism: 2
`);

function run(events: CampaignEvent[]) {
  return runLocally(spec, { services, storeRoot, parallelism: 2 }, (e) => events.push(e));
}

test('pre-training tickets: pruned from θ_p, trained with its objective, moved downstream', async () => {
  const { results, failed } = await run([]);
  assert.deepEqual(failed, []);
  const store = new ArtifactStore(storeRoot);
  const thetaP = new Map<string, string>();
  for (const p of pretrainingsOf(expandCampaign(spec))) {
    const record = await store.getJson<PretrainingRecord>((await store.getRef(refs.pretraining(p.id)))!);
    thetaP.set(p.name, record.weightsDigest);
  }
  const tickets = results.experiments.filter((e) => e.objective === 'pretraining');
  const downstream = results.experiments.filter((e) => e.objective === 'downstream');
  assert.deepEqual(
    tickets.map((e) => `${e.pretraining}:${e.task}`),
    ['sup:fashion-mnist', 'simclr:fashion-mnist'],
  );
  assert.equal(downstream.length, 2);

  for (const e of tickets) {
    const [dense, first, second] = e.rounds;
    assert.equal(dense!.weightsDigest, thetaP.get(e.pretraining), 'round 0 is θ_p itself, not trained again');
    assert.equal(dense!.trainSeconds, 0);
    // Round 1 prunes θ_p by magnitude: one global threshold over its prunable weights.
    const theta = await getWeights(store, checkDigest(dense!.weightsDigest));
    const mask1 = await getMask(store, checkDigest(first!.maskDigest));
    let smallestKept = Infinity;
    let largestPruned = 0;
    for (const w of theta) {
      const keep = mask1.get(w.name)?.keep;
      if (!keep) continue;
      w.values.forEach((v, i) => {
        if (keep[i]) smallestKept = Math.min(smallestKept, Math.abs(v));
        else largestPruned = Math.max(largestPruned, Math.abs(v));
      });
    }
    assert.ok(smallestKept >= largestPruned, `${e.pretraining}: kept ${smallestKept} >= pruned ${largestPruned}`);
    // Round 2 prunes round 1's trained weights further: masks only lose weights.
    const mask2 = await getMask(store, checkDigest(second!.maskDigest));
    for (const [name, m] of mask2)
      assert.ok(
        m.keep.every((k, i) => !k || mask1.get(name)!.keep[i]),
        name,
      );
    assert.ok(Math.abs(second!.sparsity - 0.36) < 1e-3);
    const trained = await getWeights(store, checkDigest(second!.weightsDigest));
    for (const w of trained) {
      const keep = mask2.get(w.name)?.keep;
      if (keep)
        assert.ok(
          w.values.every((v, i) => keep[i] || v === 0),
          `${w.name} pruned weights stay zero`,
        );
    }
    assert.notEqual(second!.weightsDigest, dense!.weightsDigest, 'a pruned round trains');
    const own = downstream.find((d) => d.pretraining === e.pretraining)!;
    assert.notEqual(first!.maskDigest, own.rounds[1]!.maskDigest, 'pre-training tickets are not downstream ones');
  }
  const [sup, simclr] = tickets;
  assert.ok(
    sup!.rounds.every((r) => r.testAccuracy! > 0.2),
    'supervised tickets are scored on their labels',
  );
  assert.ok(
    simclr!.rounds.every((r) => r.testAccuracy === null),
    'contrastive tickets have no labels to score',
  );

  assert.deepEqual(
    results.transfers.map((t) => `${t.pretraining}:${t.from}->${t.task}`),
    ['sup:pretraining-tickets->mnist', 'simclr:pretraining-tickets->mnist'],
  );
  for (const t of results.transfers) {
    assert.deepEqual(
      t.rounds.map((r) => r.round),
      [0, 1, 2],
    );
    const own = downstream.find((d) => d.pretraining === t.pretraining)!;
    // The dense transfer is θ_p fine-tuned on mnist with the seed: exactly the downstream round 0.
    assert.equal(t.denseMeanAccuracy, own.rounds[0]!.testAccuracy);
  }
  const ticket = tickets[0]!.branches.find((b) => b.round === 2)!;
  assert.equal(ticket.maskDigest, tickets[0]!.rounds[2]!.maskDigest, 'the transfer carries the ticket');
  assert.equal(ticket.remainingWeights, tickets[0]!.rounds[2]!.remainingWeights);

  const again: CampaignEvent[] = [];
  await run(again);
  assert.deepEqual(
    again.filter((e) => e.type === 'task-started'),
    [],
  );
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { countKept, parseCampaign, type BranchResult, type ExperimentResult, type Mask } from '@lth/core';
import { type CampaignEvent, type LocalServices } from '@lth/local';
import { ArtifactStore, checkDigest, getMask, getWeights } from '@lth/store';
import { startServices, tempDir, runLocally } from './harness';

let storeRoot: string;
let services: LocalServices;

before(async () => {
  storeRoot = join(await tempDir('branches'), 'store');
  services = await startServices(storeRoot, 2);
});

after(async () => {
  await services?.stop();
});

const spec = parseCampaign(`
name: branches
models: [lenet-300-100]
pretrainings:
  - name: mnist-slice
    kind: supervised
    dataset: mnist
    training: { epochs: 1, maxSteps: 20, batchSize: 64, maxExamples: 1280 }
tasks: [mnist, fashion-mnist]
imp: { rounds: 2 }
branches:
  - { kind: random-pruning, rounds: [2] }
  - { kind: random-pruning-layerwise, rounds: [2] }
  - { kind: reversed-mask, rounds: [2] }
  - { kind: random-reinit, rounds: [2] }
  - { kind: oneshot-magnitude, rounds: [2] }
transfer: { from: [mnist], to: [fashion-mnist] }
finetune: { epochs: 1, batchSize: 64, maxExamples: 640 }
evaluation: { maxExamples: 500 }
parallelism: 2
`);

function run(events: CampaignEvent[]) {
  return runLocally(spec, { services, storeRoot, parallelism: 2 }, (e) => events.push(e));
}

const store = () => new ArtifactStore(storeRoot);
const mask = (digest: string) => getMask(store(), checkDigest(digest));
const branch = (e: ExperimentResult, kind: BranchResult['kind'], round = 2) =>
  e.branches.find((b) => b.kind === kind && b.round === round)!;
const kept = (m: Mask) => [...m.values()].reduce((n, t) => n + countKept(t.keep), 0);

test('branches of a round: each baseline has the mask its kind promises; transfers move the tickets', async () => {
  const events: CampaignEvent[] = [];
  const { results, failed } = await run(events);
  assert.deepEqual(failed, []);
  const [mnist, fashion] = results.experiments;
  assert.equal(mnist!.task, 'mnist');
  assert.equal(mnist!.branches.length, 5 + 3, 'five baselines at round 2, transfers of rounds 0-2');
  assert.equal(fashion!.branches.length, 5, 'fashion-mnist is no transfer source');

  const ticket = mnist!.rounds[2]!;
  const ticketMask = await mask(ticket.maskDigest);
  for (const kind of ['random-pruning', 'random-pruning-layerwise', 'random-reinit', 'oneshot-magnitude'] as const) {
    const b = branch(mnist!, kind);
    assert.equal(b.task, 'mnist');
    assert.equal(b.remainingWeights, ticket.remainingWeights, `${kind} keeps as many weights as the ticket`);
    assert.ok(b.testAccuracy > 0.1 && b.testAccuracy <= 1, `${kind} accuracy ${b.testAccuracy}`);
  }
  assert.equal(branch(mnist!, 'random-reinit').maskDigest, ticket.maskDigest, 'random re-init keeps the mask');
  assert.notEqual(branch(mnist!, 'random-reinit').weightsDigest, ticket.weightsDigest);

  const random = await mask(branch(mnist!, 'random-pruning').maskDigest);
  const layerwise = await mask(branch(mnist!, 'random-pruning-layerwise').maskDigest);
  let globalDiffers = false;
  for (const [name, t] of ticketMask) {
    assert.equal(countKept(layerwise.get(name)!.keep), countKept(t.keep), `layerwise count of ${name}`);
    if (countKept(random.get(name)!.keep) !== countKept(t.keep)) globalDiffers = true;
    assert.notDeepEqual(random.get(name)!.keep, t.keep);
  }
  assert.ok(globalDiffers, 'global random pruning does not keep the per-layer counts');
  assert.equal(kept(random), kept(ticketMask));

  const reversed = await mask(branch(mnist!, 'reversed-mask').maskDigest);
  for (const [name, t] of ticketMask)
    assert.ok(
      t.keep.every((k, i) => k + reversed.get(name)!.keep[i]! === 1),
      name,
    );
  assert.ok(Math.abs(branch(mnist!, 'reversed-mask').sparsity - (1 - ticket.sparsity)) < 1e-9);

  // One shot from the dense fine-tuned weights: one magnitude threshold over every prunable weight.
  const oneShot = await mask(branch(mnist!, 'oneshot-magnitude').maskDigest);
  const dense = await getWeights(store(), checkDigest(mnist!.rounds[0]!.weightsDigest));
  let smallestKept = Infinity;
  let largestPruned = 0;
  for (const w of dense) {
    const keep = oneShot.get(w.name)?.keep;
    if (!keep) continue;
    w.values.forEach((v, i) => {
      if (keep[i]) smallestKept = Math.min(smallestKept, Math.abs(v));
      else largestPruned = Math.max(largestPruned, Math.abs(v));
    });
  }
  assert.ok(smallestKept >= largestPruned, `kept ${smallestKept} >= pruned ${largestPruned}`);
  assert.notEqual(branch(mnist!, 'oneshot-magnitude').maskDigest, ticket.maskDigest, 'IMP is not one shot');

  for (const round of [0, 1, 2]) {
    const t = branch(mnist!, 'transfer', round);
    assert.equal(t.task, 'fashion-mnist');
    assert.equal(t.maskDigest, mnist!.rounds[round]!.maskDigest, `transfer of round ${round} keeps its mask`);
    assert.ok(t.testAccuracy > 0.1 && t.testAccuracy < 1);
  }
  // The dense transfer is θ_p fine-tuned on fashion-mnist: the same training as fashion-mnist's round 0.
  assert.equal(branch(mnist!, 'transfer', 0).testAccuracy, fashion!.rounds[0]!.testAccuracy);

  assert.equal(results.transfers.length, 1);
  const [matrix] = results.transfers;
  assert.equal(matrix!.from, 'mnist');
  assert.equal(matrix!.task, 'fashion-mnist');
  assert.deepEqual(
    matrix!.rounds.map((r) => r.round),
    [0, 1, 2],
  );
  assert.equal(matrix!.denseMeanAccuracy, branch(mnist!, 'transfer', 0).testAccuracy);
  const [setting] = results.settings;
  assert.deepEqual(setting!.branches.map((b) => b.kind).sort(), [
    'oneshot-magnitude',
    'random-pruning',
    'random-pruning-layerwise',
    'random-reinit',
    'reversed-mask',
  ]);

  // A rerun finds every branch in the store: nothing starts, and the results are the same.
  const again: CampaignEvent[] = [];
  const second = await run(again);
  assert.deepEqual(
    again.filter((e) => e.type === 'task-started'),
    [],
  );
  assert.equal(again.filter((e) => e.type === 'branch-finished' && e.skipped).length, 13);
  assert.deepEqual(second.results, results);
});

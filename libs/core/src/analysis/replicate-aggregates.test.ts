import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateReplicates } from './replicate-aggregates';
import type { ExperimentResult, RoundResult } from './results';
import type { BranchResult } from './results';
import { aggregateTransfers } from './transfer-aggregates';

const round = (r: number, testAccuracy: number): RoundResult => ({
  round: r,
  sparsity: 1 - 0.8 ** r,
  density: 0.8 ** r,
  remainingWeights: 100,
  testAccuracy,
  testLoss: 0.3,
  trainSeconds: 1,
  maskDigest: '',
  weightsDigest: '',
});

function experiment(
  seed: number,
  accuracies: number[],
  task = 'mnist',
  branches: BranchResult[] = [],
): ExperimentResult {
  return {
    id: `${task}-${seed}`,
    model: 'lenet-300-100',
    pretraining: 'sup',
    task,
    seed,
    rewind: 'pretrained',
    objective: 'downstream',
    denseAccuracy: accuracies[0] ?? null,
    winningSparsity: null,
    rounds: accuracies.map((a, i) => round(i, a)),
    branches,
  };
}

const branch = (kind: BranchResult['kind'], r: number, testAccuracy: number, task = 'mnist'): BranchResult => ({
  ...round(r, testAccuracy),
  testAccuracy,
  testLoss: 0.3,
  kind,
  task,
});

test('replicates of a setting: mean and sample standard deviation per round, matching on the means', () => {
  const [setting] = aggregateReplicates([
    experiment(0, [0.9, 0.91, 0.89]),
    experiment(1, [0.92, 0.915, 0.9]),
    experiment(2, [0.91, 0.905, 0.88]),
  ]);
  assert.deepEqual(setting!.seeds, [0, 1, 2]);
  assert.ok(Math.abs(setting!.denseMeanAccuracy! - 0.91) < 1e-12);
  // Sample std of 0.90, 0.92, 0.91: 0.01.
  assert.ok(Math.abs(setting!.denseStdAccuracy! - 0.01) < 1e-12);
  const [, r1, r2] = setting!.rounds;
  assert.ok(Math.abs(r1!.meanAccuracy - 0.91) < 1e-12);
  assert.equal(r1!.matching, true, 'a mean equal to the dense mean is matching');
  assert.equal(r2!.matching, false);
  assert.equal(setting!.winningSparsity, r1!.sparsity);
  assert.equal(setting!.rounds[0]!.matching, null);
});

test('within one standard deviation admits a round the strict mean rule does not; outputs say which rule', () => {
  const runs = [experiment(0, [0.9, 0.89]), experiment(1, [0.92, 0.925])];
  const [strict] = aggregateReplicates(runs, 'mean');
  const [loose] = aggregateReplicates(runs, 'within-one-std');
  assert.equal(strict!.rounds[1]!.matching, false);
  assert.equal(loose!.rounds[1]!.matching, true);
  assert.equal(strict!.winningSparsity, null);
  assert.equal(loose!.winningSparsity, loose!.rounds[1]!.sparsity);
});

test('settings are kept apart by task; a round not every replicate has finished decides nothing yet', () => {
  const settings = aggregateReplicates([
    experiment(0, [0.9, 0.95, 0.95], 'mnist'),
    experiment(1, [0.9, 0.95], 'mnist'),
    experiment(0, [0.8], 'fashion-mnist'),
  ]);
  assert.deepEqual(
    settings.map((s) => [s.task, s.seeds.length]),
    [
      ['mnist', 2],
      ['fashion-mnist', 1],
    ],
  );
  const [mnist, fashion] = settings;
  assert.deepEqual(
    mnist!.rounds.map((r) => [r.round, r.replicates, r.matching]),
    [
      [0, 2, null],
      [1, 2, true],
      [2, 1, null],
    ],
  );
  assert.equal(mnist!.winningSparsity, mnist!.rounds[1]!.sparsity);
  assert.equal(fashion!.denseStdAccuracy, null, 'one replicate has no sample deviation');
});

test('branches average per kind and round; transfers form a matrix judged against the dense transfer', () => {
  const results = [
    experiment(0, [0.9, 0.91], 'mnist', [
      branch('reversed-mask', 1, 0.5),
      branch('transfer', 0, 0.8, 'fashion-mnist'),
      branch('transfer', 1, 0.82, 'fashion-mnist'),
    ]),
    experiment(1, [0.92, 0.9], 'mnist', [
      branch('reversed-mask', 1, 0.6),
      branch('transfer', 0, 0.8, 'fashion-mnist'),
      branch('transfer', 1, 0.77, 'fashion-mnist'),
    ]),
  ];
  const [setting] = aggregateReplicates(results);
  assert.equal(setting!.branches.length, 1, 'transfers are not baselines of the source setting');
  const [reversed] = setting!.branches;
  assert.equal(reversed!.kind, 'reversed-mask');
  assert.ok(Math.abs(reversed!.meanAccuracy - 0.55) < 1e-12);
  assert.ok(Math.abs(reversed!.stdAccuracy! - Math.SQRT1_2 * 0.1) < 1e-12);

  const [transfer] = aggregateTransfers(results, 'mean');
  assert.equal(transfer!.from, 'mnist');
  assert.equal(transfer!.task, 'fashion-mnist');
  assert.ok(Math.abs(transfer!.denseMeanAccuracy! - 0.8) < 1e-12);
  // Round 1 means 0.795 < 0.8: not matching by the mean; within one std (0.035) it is.
  assert.equal(transfer!.rounds[1]!.matching, false);
  assert.equal(aggregateTransfers(results, 'within-one-std')[0]!.rounds[1]!.matching, true);
  assert.equal(transfer!.winningSparsity, null);
});

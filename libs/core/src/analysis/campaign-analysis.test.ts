import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomMaskLike } from '../pruning/random-prune';
import type { Mask } from '../pruning/tensors';
import { analysisTables } from './analysis-tables';
import { analyzeCampaign, comparableRound } from './campaign-analysis';
import { aggregateReplicates } from './replicate-aggregates';
import { parseResultsJson, resultsJson, type CampaignResults, type ExperimentResult } from './results';
import { summarizeExperiment } from './tickets';
import { aggregateTransfers } from './transfer-aggregates';

const dense: Mask = new Map([
  ['conv/kernel', { shape: [400], keep: new Uint8Array(400).fill(1) }],
  ['fc/kernel', { shape: [100], keep: new Uint8Array(100).fill(1) }],
]);
/** Round r's mask of an experiment: random at density 0.8^r, seeded by the experiment. */
const maskOf = (seed: number, r: number): Mask => {
  const like: Mask = new Map(
    [...dense].map(([name, t]) => [
      name,
      { shape: t.shape, keep: t.keep.map((_, i) => (i % 25 < 25 * 0.8 ** r - 1e-9 ? 1 : 0)) },
    ]),
  );
  return randomMaskLike(like, seed);
};

function experiment(pretraining: string, task: string, seed: number, accuracies: number[]): ExperimentResult {
  const id = `${pretraining}-${task}-${seed}`;
  return summarizeExperiment({
    id,
    model: 'lenet-300-100',
    pretraining,
    task,
    seed,
    rewind: 'pretrained',
    objective: 'downstream',
    rounds: accuracies.map((testAccuracy, round) => ({
      round,
      sparsity: 1 - 0.8 ** round,
      density: 0.8 ** round,
      remainingWeights: 1,
      testAccuracy,
      testLoss: 0.1,
      trainSeconds: 1,
      maskDigest: round === 0 ? '' : `${id}/${round}`,
      weightsDigest: `${id}/w${round}`,
    })),
    branches: [
      { ...roundBase(2), kind: 'random-pruning', task, testAccuracy: 0.5 + seed / 100, testLoss: 0.2 },
      { ...roundBase(1), kind: 'transfer', task: task === 'a' ? 'b' : 'a', testAccuracy: 0.7, testLoss: 0.2 },
      { ...roundBase(0), kind: 'transfer', task: task === 'a' ? 'b' : 'a', testAccuracy: 0.69, testLoss: 0.2 },
    ],
  });
}
const roundBase = (round: number) => ({
  round,
  sparsity: 1 - 0.8 ** round,
  remainingWeights: 1,
  trainSeconds: 1,
  maskDigest: round ? `m${round}` : '',
  weightsDigest: 'w',
});

function campaign(experiments: ExperimentResult[]): CampaignResults {
  return {
    campaign: 'c',
    backend: 'cpu',
    matchingRule: 'mean',
    experiments,
    settings: aggregateReplicates(experiments, 'mean'),
    transfers: aggregateTransfers(experiments, 'mean'),
  };
}

const seeds = { sup: 1, moco: 2 } as Record<string, number>;
const experiments = [
  experiment('sup', 'a', 0, [0.8, 0.82, 0.79]),
  experiment('sup', 'a', 1, [0.8, 0.8, 0.77]),
  experiment('moco', 'a', 0, [0.7, 0.71, 0.72]),
  experiment('moco', 'a', 1, [0.72, 0.73, 0.74]),
];
const results = campaign(experiments);
const masks = new Map(
  experiments.flatMap((e) => [1, 2].map((r) => [`${e.id}/${r}`, maskOf(seeds[e.pretraining]! * 10 + e.seed, r)])),
);

test('the comparable round is the deepest pruned round every experiment finished', () => {
  assert.equal(comparableRound(results), 2);
  const behind = campaign([...experiments, experiment('sup', 'b', 0, [0.8, 0.81])]);
  assert.equal(comparableRound(behind), 1);
  assert.equal(comparableRound(campaign([experiment('sup', 'b', 0, [0.8])])), null, 'only dense rounds');
});

test('the analysis: curves with baselines, the ladder table, transfers, overlap, per-layer sparsity', () => {
  const a = analyzeCampaign({ results, round: 2, masks });
  const sup = a.curves.find((c) => c.pretraining === 'sup')!;
  assert.deepEqual(
    sup.points.map((p) => [p.series, p.round]),
    [
      ['imp', 0],
      ['imp', 1],
      ['imp', 2],
      ['random-pruning', 2],
    ],
  );
  assert.equal(sup.points[3]!.meanAccuracy, 0.505);
  assert.equal(sup.denseMeanAccuracy, 0.8);

  const [supRow, mocoRow] = a.winningTickets;
  assert.ok(Math.abs(supRow!.winningSparsity! - 0.2) < 1e-12, 'round 1 matches on the mean (0.81 >= 0.8), round 2 not');
  assert.deepEqual(
    supRow!.ladder.map((r) => r.matching),
    [null, true, false],
  );
  // Replicate 0 wins at 20%; replicate 1 matches at round 1 exactly (0.8 >= 0.8).
  assert.ok(Math.abs(supRow!.replicateWinningMean! - 0.2) < 1e-12);
  assert.ok(Math.abs(mocoRow!.winningSparsity! - 0.36) < 1e-12);

  assert.deepEqual(
    a.transfers.winning.map((w) => [w.pretraining, w.from, w.to]),
    [
      ['sup', 'a', 'b'],
      ['moco', 'a', 'b'],
    ],
  );
  assert.equal(a.transfers.cells.find((c) => c.pretraining === 'sup' && c.round === 1)!.matching, true);

  const overlap = a.overlap!;
  assert.equal(overlap.round, 2);
  assert.deepEqual(
    overlap.tickets.map((t) => t.label),
    ['sup → a s0', 'sup → a s1', 'moco → a s0', 'moco → a s1'],
  );
  assert.equal(overlap.acrossPretrainings.pairs, 4);
  assert.equal(overlap.acrossReplicates.pairs, 2);
  // Independent random masks: the overlap sits near d / (2 - d).
  assert.ok(Math.abs(overlap.acrossPretrainings.mean! - overlap.randomJaccard) < 0.08, JSON.stringify(overlap));
  assert.deepEqual(
    overlap.layersAcrossPretrainings.map((l) => l.layer),
    ['conv/kernel', 'fc/kernel'],
  );
  assert.equal(overlap.jaccard[1]![2], overlap.jaccard[2]![1]);

  assert.equal(a.layerSparsity.length, 8, 'two layers of four tickets');
  assert.ok(a.layerSparsity.every((l) => Math.abs(l.sparsity - 0.36) < 1e-9 && l.round === 2));
  assert.equal(a.sensitivity, null, 'no perturbed evaluations given');
});

test('the analysis tables: one CSV per table, long form, with the ladder as columns', () => {
  const tables = new Map(analysisTables(analyzeCampaign({ results, round: 2, masks })));
  assert.deepEqual(
    [...tables.keys()],
    ['accuracy-curves.csv', 'winning-tickets.csv', 'transfer-matrix.csv', 'mask-overlap.csv', 'layer-sparsity.csv'],
  );
  const winning = tables.get('winning-tickets.csv')!.trim().split('\n');
  assert.match(winning[0]!, /winningSparsity,rule,.*round2Sparsity,round2Accuracy,round2Matching$/);
  assert.match(winning[1]!, /^lenet-300-100,sup,a,downstream,pretrained,2,0\.8,0,0\.1999\d+,mean,.*,0\.78,false$/);
  const overlap = tables.get('mask-overlap.csv')!.trim().split('\n');
  assert.equal(overlap[0], 'ticket,sup → a s0,sup → a s1,moco → a s0,moco → a s1');
  assert.equal(overlap.length, 5);
});

test('a missing mask or an unfinished round is named', () => {
  assert.throws(() => analyzeCampaign({ results, round: 2, masks: new Map() }), /mask sup-a-0\/2 was not given/);
  assert.throws(() => analyzeCampaign({ results, round: 3, masks }), /sup-a-0 has not finished round 3/);
});

test('results.json reads back as the results it was written from, and a wrong field is named', () => {
  assert.deepEqual(parseResultsJson(resultsJson(results)), JSON.parse(JSON.stringify(results)));
  assert.throws(() => parseResultsJson('{'), /results.json is not JSON/);
  const broken = JSON.parse(resultsJson(results));
  broken.experiments[1].rounds[2].maskDigest = 7;
  assert.throws(
    () => parseResultsJson(JSON.stringify(broken)),
    /experiments\[1\]\.rounds\[2\]\.maskDigest must be a string/,
  );
  assert.throws(() => parseResultsJson('{"campaign": 1}'), /campaign must be a string/);
});

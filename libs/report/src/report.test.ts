import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  aggregateReplicates,
  aggregateTransfers,
  analyzeCampaign,
  randomMaskLike,
  summarizeExperiment,
  type BranchResult,
  type CampaignResults,
  type ExperimentResult,
  type Mask,
} from '@lth/core';
import { chartSpecs } from './chart-specs';
import { renderChart } from './render-chart';
import { tablesMarkdown } from './report-html';
import { reportTables } from './report-tables';
import { writeReport } from './write-report';

const dense: Mask = new Map([['conv/kernel', { shape: [500], keep: new Uint8Array(500).fill(1) }]]);
const branch = (round: number, kind: BranchResult['kind'], task: string, testAccuracy: number): BranchResult => ({
  round,
  sparsity: 1 - 0.8 ** round,
  remainingWeights: 1,
  trainSeconds: 1,
  maskDigest: round ? 'r' : '',
  weightsDigest: 'w',
  kind,
  task,
  testAccuracy,
  testLoss: 1,
});
const experiment = (pretraining: string, seed: number, accuracies: number[]): ExperimentResult =>
  summarizeExperiment({
    id: `${pretraining}-${seed}`,
    model: 'lenet-300-100',
    pretraining,
    task: 'mnist',
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
      maskDigest: round ? `${pretraining}-${seed}/${round}` : '',
      weightsDigest: 'w',
    })),
    branches: [
      branch(1, 'random-pruning', 'mnist', 0.7),
      branch(1, 'transfer', 'fashion-mnist', 0.8),
      branch(0, 'transfer', 'fashion-mnist', 0.79),
    ],
  });
const experiments = [
  experiment('supervised', 0, [0.9, 0.91]),
  experiment('supervised', 1, [0.9, 0.9]),
  experiment('moco', 0, [0.85, 0.8]),
];
const results: CampaignResults = {
  campaign: 'tiny',
  backend: 'cpu',
  matchingRule: 'mean',
  experiments,
  settings: aggregateReplicates(experiments),
  transfers: aggregateTransfers(experiments, 'mean'),
};
const masks = new Map(experiments.map((e, i) => [`${e.id}/1`, randomMaskLike(dense, i)]));
const key = { model: 'lenet-300-100', task: 'mnist', objective: 'downstream' as const, rewind: 'pretrained' };
const sample = (pretraining: string, seed: number, sigma: number, accuracy: number) => ({
  ...key,
  pretraining,
  experiment: `${pretraining}-${seed}`,
  seed,
  round: 1,
  sigma,
  draw: 0,
  accuracy,
});
const analysis = analyzeCampaign({
  results,
  round: 1,
  masks,
  sensitivity: {
    sigmas: [0, 0.5],
    draws: 1,
    samples: [
      sample('supervised', 0, 0, 0.9),
      sample('supervised', 0, 0.5, 0.6),
      sample('moco', 0, 0, 0.8),
      sample('moco', 0, 0.5, 0.3),
    ],
  },
});

test('every figure of the paper renders to an SVG with its axis titles, and to a PNG', async () => {
  const specs = chartSpecs(analysis);
  assert.deepEqual(
    specs.map((s) => s.name),
    [
      'accuracy-vs-sparsity',
      'winning-tickets',
      'mask-overlap',
      'transfer-matrix',
      'perturbation-sensitivity',
      'layer-sparsity',
    ],
  );
  const titles: Record<string, string> = {
    'accuracy-vs-sparsity': 'sparsity (of prunable weights)',
    'winning-tickets': 'winning-ticket sparsity',
    'mask-overlap': 'ticket',
    'transfer-matrix': 'target task',
    'perturbation-sensitivity': 'noise σ',
    'layer-sparsity': 'layer',
  };
  for (const spec of specs) {
    const { svg, png } = await renderChart(spec.spec);
    assert.match(svg, /^<svg/);
    assert.ok(svg.includes(titles[spec.name]!), `${spec.name} has its axis title`);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], `${spec.name}: a PNG`);
  }
});

test('a broken chart spec fails loudly instead of drawing nothing', async () => {
  await assert.rejects(
    renderChart({ data: { values: [{ a: 1 }] }, mark: 'bar', encoding: { opacity: { field: 'a', type: 'nominal' } } }),
    /the chart spec has problems: .*opacity/,
  );
});

test('the tables: winning tickets on the ladder, overlap against random masks, transfers, sensitivity', () => {
  const tables = reportTables(analysis);
  assert.deepEqual(
    tables.map((t) => t.name),
    ['winning-tickets', 'mask-overlap-summary', 'transfer-winning', 'sensitivity'],
  );
  const [winning] = tables;
  assert.deepEqual(winning!.columns, [
    'tickets',
    'seeds',
    'dense accuracy',
    'winning sparsity (mean)',
    'per seed',
    '20.0%',
  ]);
  assert.deepEqual(winning!.rows[0], [
    'supervised → mnist',
    '2',
    '0.9000 ± 0.0000',
    '20.0%',
    '20.0% ± 0.0%',
    '0.9050 ✓',
  ]);
  assert.deepEqual(winning!.rows[1], ['moco → mnist', '1', '0.8500', 'none', '0.0%', '0.8000']);
  const markdown = tablesMarkdown(tables);
  assert.match(markdown, /^### Winning tickets on the sparsity ladder\n\n\| tickets \| seeds \|/);
  assert.match(markdown, /\| supervised → mnist \| 0\.9000 \| 0\.6000 \|/);
});

test('the report: one HTML file, every chart inline; each chart as SVG and PNG, each table as CSV', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lth-report-'));
  const written = await writeReport(analysis, join(dir, 'report.html'));
  const html = await readFile(written.html, 'utf8');
  assert.equal(html.match(/<figure data-chart=/g)!.length, 6);
  assert.equal(html.match(/<svg/g)!.length, 6);
  assert.doesNotMatch(html, /<script|src="http|href="http/, 'nothing to fetch: opens offline');
  assert.deepEqual((await readdir(join(dir, 'charts'))).length, 12);
  assert.ok((await readdir(join(dir, 'tables'))).includes('mask-overlap.csv'));
  assert.match(html, /href="tables\/winning-tickets.csv"/);
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  resultsJson,
  validateCampaign,
  type CampaignAnalysis,
  type CampaignResults,
  type CampaignSpec,
} from '@lth/core';
import { type LocalServices } from '@lth/local';

import { openInBrowser } from './browser';
import { CLI, startServices, tempDir, runLocally, TEST_OUTPUT } from './harness';

const EXAMPLE = resolve(__dirname, '../../../examples/paper-small.yaml');

let storeRoot: string;
let services: LocalServices;
let ran: { results: CampaignResults; spec: CampaignSpec } | undefined;

before(async () => {
  storeRoot = join(await tempDir('paper-small'), 'store');
  services = await startServices(storeRoot, 2);
});

after(async () => {
  await services?.stop();
});

type Doc = Record<string, unknown> & {
  pretrainings: Record<string, unknown>[];
  branches: { kind: string; rounds: number[] }[];
};

/** The example with every training cut to a few steps and two rounds: the same shape, in minutes. */
function cutDown(doc: Doc): unknown {
  const tiny = (training: Record<string, unknown>) => ({
    ...training,
    epochs: 1,
    maxSteps: 2,
    batchSize: 32,
    maxExamples: 64,
  });
  return {
    ...doc,
    name: 'paper-small-ci',
    pretrainings: doc.pretrainings.map((p) => ({
      ...p,
      training: tiny(p['training'] as Record<string, unknown>),
      ...(p['kind'] === 'moco' ? { queueSize: 64 } : {}),
      ...(p['kind'] === 'supervised' ? {} : { projection: { hidden: 16, dim: 8 } }),
    })),
    imp: { ...(doc['imp'] as object), rounds: 2 },
    finetune: tiny(doc['finetune'] as Record<string, unknown>),
    evaluation: { ...(doc['evaluation'] as object), maxExamples: 100 },
    pretrainingTickets: {
      training: tiny((doc['pretrainingTickets'] as { training: Record<string, unknown> }).training),
    },
    branches: doc.branches.map((b) => ({ ...b, rounds: b.rounds.filter((r) => r <= 2) })),
  };
}

test('examples/paper-small.yaml is valid, and a cut-down copy of it runs end to end through the services', async () => {
  const validated = spawnSync(process.execPath, [CLI, 'validate', EXAMPLE], { encoding: 'utf8' });
  assert.equal(validated.status, 0, validated.stderr);
  assert.match(validated.stdout, /valid; 18 experiment\(s\), 5 pruning rounds each, 192 branch run\(s\)/);

  const spec = validateCampaign(cutDown(parseYaml(readFileSync(EXAMPLE, 'utf8')) as Doc));
  const { results, failed } = await runLocally(spec, { services, storeRoot, parallelism: 2 });
  assert.deepEqual(failed, []);
  // RQ1: three pre-trainings x two tasks x two replicates downstream, each with its baselines.
  const downstream = results.experiments.filter((e) => e.objective === 'downstream');
  const tickets = results.experiments.filter((e) => e.objective === 'pretraining');
  assert.equal(downstream.length, 12);
  assert.equal(tickets.length, 6);
  for (const e of results.experiments) {
    assert.deepEqual(
      e.rounds.map((r) => r.round),
      [0, 1, 2],
    );
  }
  const settings = results.settings.filter((s) => s.objective === 'downstream');
  assert.equal(settings.length, 6);
  for (const s of settings) {
    assert.deepEqual(s.seeds, [0, 1]);
    assert.deepEqual(
      s.branches.map((b) => `${b.kind}@${b.round}x${b.replicates}`),
      ['random-pruning@2x2', 'reversed-mask@2x2'],
    );
    assert.ok(
      s.rounds.every((r) => r.stdAccuracy !== null),
      'two replicates give a standard deviation',
    );
  }
  // RQ2 and RQ3: the transfer matrix, from the pre-training tickets and from each task to the other.
  const matrix = results.transfers.map((t) => `${t.pretraining}:${t.from}->${t.task}`).sort();
  const expected = ['supervised', 'simclr', 'moco'].flatMap((p) => [
    `${p}:pretraining-tickets->mnist`,
    `${p}:pretraining-tickets->fashion-mnist`,
    `${p}:mnist->fashion-mnist`,
    `${p}:fashion-mnist->mnist`,
  ]);
  assert.deepEqual(matrix, expected.sort());
  for (const t of results.transfers) {
    assert.deepEqual(t.seeds, [0, 1]);
    assert.deepEqual(
      t.rounds.map((r) => r.round),
      [0, 1, 2],
    );
  }
  ran = { results, spec };
});

test('lth report on it: every figure, table and file, and the page renders in a real browser offline', async () => {
  assert.ok(ran, 'the campaign ran');
  const dir = await tempDir('paper-small-report');
  await writeFile(join(dir, 'results.json'), resultsJson(ran.results));
  await writeFile(join(dir, 'campaign.yaml'), stringifyYaml(ran.spec));
  const report = spawnSync(
    process.execPath,
    [CLI, 'report', dir, '--store', storeRoot, '--evaluation', services.replicas[0]!.evaluation, '--sigmas', '0.5'],
    { encoding: 'utf8' },
  );
  assert.equal(report.status, 0, report.stderr);
  assert.match(report.stdout, /perturbation sensitivity: 12 tickets at round 2, 48 evaluations/);
  assert.equal(report.stdout.trim().split('\n').pop(), `report: ${join(dir, 'report.html')}`);
  const analysis = JSON.parse(await readFile(join(dir, 'analysis.json'), 'utf8')) as CampaignAnalysis;
  assert.equal(analysis.overlap!.tickets.length, 18);
  // Same task, different pre-training: 3 pairs of pre-trainings x 2 tasks x 2 x 2 seeds, and the tickets'.
  assert.equal(analysis.overlap!.acrossPretrainings.pairs, 3 * 3 * 4);
  assert.equal(analysis.transfers.winning.length, 12);
  assert.equal(analysis.layerSparsity.length, 18 * analysis.overlap!.layersAcrossPretrainings.length);
  const charts = await readdir(join(dir, 'charts'));
  assert.equal(charts.length, 12, charts.join(' '));
  assert.deepEqual((await readdir(join(dir, 'tables'))).sort(), [
    'accuracy-curves.csv',
    'layer-sparsity.csv',
    'mask-overlap.csv',
    'sensitivity.csv',
    'transfer-matrix.csv',
    'winning-tickets.csv',
  ]);

  const page = await openInBrowser(join(dir, 'report.html'), join(TEST_OUTPUT, 'paper-small-report.png'));
  assert.deepEqual(page.errors, [], 'no console errors');
  assert.deepEqual(page.requests, [], 'nothing fetched from the network');
  assert.equal(page.figures.length, 6);
  for (const f of page.figures) {
    assert.ok(f.width > 100 && f.height > 100, `${f.name} is drawn (${f.width}x${f.height})`);
    assert.ok(f.marks > 10, `${f.name} has marks`);
    assert.ok(f.text.length > 0, `${f.name} has axis labels`);
  }
  const byName = new Map(page.figures.map((f) => [f.name, f]));
  assert.ok(byName.get('accuracy-vs-sparsity')!.text.includes('test accuracy'));
  assert.ok(byName.get('mask-overlap')!.text.includes('supervised → mnist s0'));
  assert.ok(byName.get('transfer-matrix')!.text.includes('target task'));
  assert.ok(page.tables.includes('winning-tickets'));
  assert.ok((await stat(join(TEST_OUTPUT, 'paper-small-report.png'))).size > 10_000, 'a screenshot');
});

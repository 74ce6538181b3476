import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { validateCampaign } from '@lth/core';
import { type LocalServices } from '@lth/local';

import { CLI, startServices, tempDir, runLocally } from './harness';

const EXAMPLE = resolve(__dirname, '../../../examples/paper-small.yaml');

let storeRoot: string;
let services: LocalServices;

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
});

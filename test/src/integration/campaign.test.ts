import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  driverArgs,
  expandCampaign,
  parseCampaign,
  type CampaignAnalysis,
  type CampaignResults,
  type TaskRef,
} from '@lth/core';
import { refs } from '@lth/driver';
import { ChildProcessExecutor, runCampaign, type CampaignEvent, type LocalServices } from '@lth/local';
import { ArtifactStore } from '@lth/store';
import {
  argv,
  CACHE_DIR,
  CLI,
  filesUnder,
  processesMentioning,
  PROGRAMS,
  startServices,
  tempDir,
  TINY_CAMPAIGN,
} from './harness';

let storeRoot: string;
let services: LocalServices;

before(async () => {
  storeRoot = join(await tempDir('campaign'), 'store');
  services = await startServices(storeRoot, 2);
});

after(async () => {
  await services?.stop();
});

const spec = parseCampaign(TINY_CAMPAIGN);

function run(events: CampaignEvent[] = [], campaign = spec) {
  return runCampaign(campaign, {
    executor: new ChildProcessExecutor(PROGRAMS.driver, storeRoot),
    store: new ArtifactStore(storeRoot),
    replicas: services.replicas,
    parallelism: 2,
    onEvent: (e) => events.push(e),
  });
}

function checkResults(results: CampaignResults) {
  assert.equal(results.campaign, 'tiny');
  assert.equal(results.experiments.length, 2);
  for (const e of results.experiments) {
    assert.deepEqual(
      Object.keys(e).sort(),
      [
        'branches',
        'denseAccuracy',
        'id',
        'model',
        'objective',
        'pretraining',
        'rewind',
        'rounds',
        'seed',
        'task',
        'winningSparsity',
      ].sort(),
    );
    assert.deepEqual(
      e.rounds.map((r) => r.round),
      [0, 1, 2],
    );
    assert.deepEqual(
      e.rounds.map((r) => Number(r.sparsity.toFixed(4))),
      [0, 0.2, 0.36],
    );
    assert.equal(e.rounds[0]!.remainingWeights, 265200);
    assert.equal(e.rounds[0]!.maskDigest, '');
    for (const r of e.rounds) {
      assert.ok(r.testAccuracy !== null && r.testAccuracy > 0.5 && r.testAccuracy <= 1, `accuracy ${r.testAccuracy}`);
      assert.match(r.weightsDigest, /^sha256:[0-9a-f]{64}$/);
      assert.ok(Math.abs(r.density - (1 - r.sparsity)) < 1e-9);
    }
    assert.equal(e.denseAccuracy, e.rounds[0]!.testAccuracy);
    const matching = e.rounds.filter((r) => r.round > 0 && r.testAccuracy! >= e.denseAccuracy!).map((r) => r.sparsity);
    assert.equal(e.winningSparsity, matching.length ? Math.max(...matching) : null);
  }
}

test('a campaign runs through the local executor; a rerun skips every finished round, same results', async () => {
  const events: CampaignEvent[] = [];
  const first = await run(events);
  assert.deepEqual(first.failed, []);
  checkResults(first.results);
  assert.ok(
    events.some((e) => e.type === 'progress'),
    'no fine-tuning progress was reported',
  );
  assert.equal(events.filter((e) => e.type === 'round-finished' && !e.skipped).length, 6);

  const again: CampaignEvent[] = [];
  const second = await run(again);
  assert.deepEqual(second.results, first.results);
  assert.equal(again.filter((e) => e.type === 'task-started').length, 0, 'a finished round ran again');
  assert.ok(again.some((e) => e.type === 'pretraining-finished' && e.skipped));
});

test('one more round asked of a finished campaign runs only that round; earlier rounds are kept', async () => {
  const before = await run();
  const events: CampaignEvent[] = [];
  const longer = await run(events, parseCampaign(TINY_CAMPAIGN.replace('imp: { rounds: 2 }', 'imp: { rounds: 3 }')));
  assert.deepEqual(longer.failed, []);
  const started = events.flatMap((e) => (e.type === 'task-started' && e.task.kind === 'round' ? [e.task.round] : []));
  assert.deepEqual(started, [3, 3], 'only round 3 of each experiment ran');
  for (const [i, e] of longer.results.experiments.entries()) {
    assert.equal(e.id, before.results.experiments[i]!.id);
    assert.deepEqual(e.rounds.slice(0, 3), before.results.experiments[i]!.rounds);
    // The ladder's sparsity, up to rounding to whole weights.
    assert.ok(Math.abs(e.rounds[3]!.sparsity - (1 - 0.8 ** 3)) < 1e-4);
  }
});

const withoutTimes = (r: CampaignResults) => ({
  ...r,
  experiments: r.experiments.map((e) => ({ ...e, rounds: e.rounds.map((x) => ({ ...x, trainSeconds: 0 })) })),
});

test('the same seed gives the same masks and accuracies from scratch, with a fresh store and services', async () => {
  const first = await run();
  const otherStore = join(await tempDir('campaign-again'), 'store');
  const otherServices = await startServices(otherStore, 2);
  try {
    const other = await runCampaign(spec, {
      executor: new ChildProcessExecutor(PROGRAMS.driver, otherStore),
      store: new ArtifactStore(otherStore),
      replicas: otherServices.replicas,
      parallelism: 2,
    });
    // Results name masks and weights by digest: equal digests are equal bytes.
    assert.deepEqual(withoutTimes(other.results), withoutTimes(first.results));
  } finally {
    await otherServices.stop();
  }
});

test('a killed round leaves nothing that looks finished, and the next run completes it', async () => {
  // The driver shares the services' store, as in production; a replicate no other test runs.
  const experiment = expandCampaign(parseCampaign(TINY_CAMPAIGN.replace('seeds: [0, 1]', 'seeds: [7]')))[0]!;
  const store = new ArtifactStore(storeRoot);
  const driver = (task: TaskRef) => argv(PROGRAMS.driver, driverArgs(task, services.replicas[0]!, storeRoot));
  const pretrainingDigest = await store.putJson(experiment.settings.pretraining);
  // Pre-train first (through the driver), then kill round 0 while it fine-tunes.
  const pre = spawnSync(process.execPath, driver({ kind: 'pretraining', pretrainingDigest }), { encoding: 'utf8' });
  assert.equal(pre.status, 0, pre.stderr);
  const experimentDigest = await store.putJson(experiment);
  const child = spawn(process.execPath, driver({ kind: 'round', experimentDigest, round: 0 }));
  await new Promise<void>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.includes('"phase":"finetune"')) {
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  await new Promise((r) => child.once('close', r));
  assert.equal(await store.getRef(refs.round(experiment.id, 0)), undefined);
  assert.ok(!(await filesUnder(storeRoot)).some((f) => f.includes('.tmp-')));
  // Round 1 cannot start before round 0: the driver refuses, exit code 2 (bad input).
  const early = spawnSync(process.execPath, driver({ kind: 'round', experimentDigest, round: 1 }), {
    encoding: 'utf8',
  });
  assert.equal(early.status, 2);
  assert.match(early.stderr, /round 0 of experiment [0-9a-f]+ has not finished/);
  const rerun = spawnSync(process.execPath, driver({ kind: 'round', experimentDigest, round: 0 }), {
    encoding: 'utf8',
  });
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.ok(await store.getRef(refs.round(experiment.id, 0)));
});

/** Flips one byte of an artifact in the store, as a bad disk or a torn copy would. */
async function corrupt(digest: string): Promise<void> {
  const hex = digest.slice('sha256:'.length);
  const path = join(storeRoot, 'objects', hex.slice(0, 2), hex.slice(2));
  const bytes = await readFile(path);
  bytes[bytes.length >> 1] ^= 0x40;
  await writeFile(path, bytes);
}

test('corrupt artifacts heal: what produced them runs again, and the campaign ends as it would have', async () => {
  const first = await run();
  const store = new ArtifactStore(storeRoot);
  const [a, b] = expandCampaign(spec);
  // a: round 1's weights are corrupt and round 2 is to be (re)computed from them.
  const a1 = await store.getJson<{ weightsDigest: string }>((await store.getRef(refs.round(a!.id, 1)))!);
  await corrupt(a1.weightsDigest);
  await store.removeRef(refs.round(a!.id, 2));
  // b: round 2's own record is corrupt.
  await corrupt((await store.getRef(refs.round(b!.id, 2)))!);

  const events: CampaignEvent[] = [];
  const healed = await run(events);
  assert.deepEqual(healed.failed, []);
  assert.deepEqual(withoutTimes(healed.results), withoutTimes(first.results));
  const ran = events.flatMap((e) =>
    e.type === 'task-started' && e.task.kind === 'round' ? [`${e.task.experiment.id}:${e.task.round}`] : [],
  );
  // a: round 2 finds its input corrupt and withdraws round 1, which runs again; then round 2.
  assert.deepEqual(
    ran.filter((t) => t.startsWith(a!.id)),
    [`${a!.id}:2`, `${a!.id}:1`, `${a!.id}:2`],
  );
  assert.deepEqual(
    ran.filter((t) => t.startsWith(b!.id)),
    [`${b!.id}:2`],
  );
  const failure = events.find((e) => e.type === 'task-failed');
  assert.match(
    failure?.type === 'task-failed' ? failure.error : '',
    new RegExp(`round 1 of experiment ${a!.id} left sha256:[0-9a-f]{64}, which is corrupt`),
  );
  assert.ok(events.some((e) => e.type === 'record-corrupt' && e.ref === refs.round(b!.id, 2)));
  // The objects are whole again: recomputing wrote the same bytes back over the corrupt ones.
  assert.ok((await store.get(a1.weightsDigest)).length > 0);
});

test('lth run: starts its own services, prints the table, writes results.json and results.csv', async () => {
  const dir = await tempDir('cli');
  const file = join(dir, 'tiny.yaml');
  await writeFile(file, TINY_CAMPAIGN);
  const out = join(dir, 'out');
  const res = spawnSync(process.execPath, [CLI, 'run', file, '--out', out, '--store', join(dir, 'store')], {
    encoding: 'utf8',
    env: { ...process.env, LTH_CACHE: CACHE_DIR },
  });
  assert.equal(res.status, 0, res.stderr);
  assert.match(res.stdout, /winning sparsity/);
  assert.match(res.stdout, /round 2\/2 sparsity 36\.00%/);
  // results.json keeps its published name for the dense accuracy: baselineAccuracy.
  const published = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as {
    experiments: { baselineAccuracy: number }[];
  };
  const results = {
    ...published,
    experiments: published.experiments.map(({ baselineAccuracy, ...e }) => ({ ...e, denseAccuracy: baselineAccuracy })),
  } as unknown as CampaignResults;
  checkResults(results);
  assert.ok(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu'].includes(results.backend));
  // The two seeds are replicates of one setting: averaged per round, matching decided on the means.
  assert.equal(results.matchingRule, 'mean');
  assert.equal(results.settings.length, 1);
  const [setting] = results.settings;
  assert.deepEqual(setting!.seeds, [0, 1]);
  const mean = (round: number) => results.experiments.reduce((a, e) => a + e.rounds[round]!.testAccuracy!, 0) / 2;
  assert.ok(Math.abs(setting!.denseMeanAccuracy! - mean(0)) < 1e-12);
  assert.ok(Math.abs(setting!.rounds[2]!.meanAccuracy - mean(2)) < 1e-12);
  assert.equal(setting!.rounds[1]!.matching, mean(1) >= mean(0));
  assert.match(res.stdout, /over replicates \(matching: mean >= dense mean\):/);
  const csv = (await readFile(join(out, 'results.csv'), 'utf8')).trim().split('\n');
  assert.equal(csv.length, 1 + 6);
  assert.match(csv[0]!, /^experiment,model,pretraining,task,seed,rewind,round,sparsity/);
  // Last, the report: analysed with the run's own services, its path the last line printed.
  assert.match(res.stdout, /perturbation sensitivity: 2 tickets at round 2, 26 evaluations/);
  assert.equal(res.stdout.trim().split('\n').pop(), `report: ${join(out, 'report.html')}`);
  assert.equal(await readFile(join(out, 'campaign.yaml'), 'utf8'), TINY_CAMPAIGN, 'the campaign beside its results');
  const analysis = JSON.parse(await readFile(join(out, 'analysis.json'), 'utf8')) as CampaignAnalysis;
  assert.equal(analysis.overlap!.round, 2);
  assert.equal(analysis.overlap!.acrossReplicates.pairs, 1);
  assert.deepEqual(analysis.sensitivity!.sigmas, [0, 0.1, 0.2, 0.4, 0.8]);
  const ticket = analysis.sensitivity!.points.find((p) => p.sigma === 0)!;
  assert.ok(Math.abs(ticket.meanAccuracy - setting!.rounds[2]!.meanAccuracy) < 1e-12, 'σ = 0 scores the ticket itself');
  assert.ok((await readFile(join(out, 'report.html'), 'utf8')).includes('<figure data-chart="mask-overlap">'));
});

test('lth run killed with SIGKILL leaves no process behind; a rerun completes the campaign', async () => {
  const dir = await tempDir('killed');
  const file = join(dir, 'tiny.yaml');
  await writeFile(file, TINY_CAMPAIGN);
  const store = join(dir, 'store');
  const args = [CLI, 'run', file, '--out', join(dir, 'out'), '--store', store, '--quiet'];
  const env = { ...process.env, LTH_CACHE: CACHE_DIR };
  const run = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Killed while a driver trains: the services and a driver are running.
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (processesMentioning(store).some((l) => l.includes('--experiment'))) {
        clearInterval(check);
        resolve();
      }
    }, 100);
  });
  assert.ok(processesMentioning(store).length >= 5, 'four services and a driver');
  run.kill('SIGKILL');
  const until = Date.now() + 20_000;
  while (processesMentioning(store).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(processesMentioning(store), [], 'children outlived lth run');
  const rerun = spawnSync(process.execPath, args, { encoding: 'utf8', env });
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.ok(!(await filesUnder(store)).some((f) => f.includes('.tmp-')), 'a temporary file left behind');
});

test('lth validate and lth run refuse an invalid campaign with one line per field and exit 2', async () => {
  const dir = await tempDir('invalid');
  const file = join(dir, 'bad.yaml');
  await writeFile(
    file,
    TINY_CAMPAIGN.replace('models: [lenet-300-100]', 'models: [lenet-5000]').replace(
      'imp: { rounds: 2 }',
      'imp: { rounds: 0 }',
    ),
  );
  for (const command of ['validate', 'run']) {
    const res = spawnSync(
      process.execPath,
      [CLI, command, file, ...(command === 'run' ? ['--out', join(dir, 'out')] : [])],
      { encoding: 'utf8' },
    );
    assert.equal(res.status, 2, res.stderr);
    const lines = res.stderr.trim().split('\n');
    assert.deepEqual(lines, [`${file}: imp.rounds: Too small: expected number to be >=1`]);
  }
  await writeFile(file, TINY_CAMPAIGN.replace('models: [lenet-300-100]', 'models: [lenet-5000]'));
  const res = spawnSync(process.execPath, [CLI, 'validate', file], { encoding: 'utf8' });
  assert.equal(res.status, 2);
  assert.match(res.stderr, /models\[0\]: unknown model "lenet-5000" \(known: lenet-300-100, resnet-8, resnet-20, /);
  assert.deepEqual(await filesUnder(join(dir, 'out')), []);
  // A billion laughs: nine lines of aliases, refused like any other bad file.
  const letters = 'abcdefghi';
  const bomb = [...letters].map((l, i) =>
    i === 0
      ? `${l}: &${l} [x, x, x, x, x, x, x, x, x, x]`
      : `${l}: &${l} [${Array(10)
          .fill(`*${letters[i - 1]}`)
          .join(', ')}]`,
  );
  await writeFile(file, bomb.join('\n'));
  const laughs = spawnSync(process.execPath, [CLI, 'validate', file], { encoding: 'utf8' });
  assert.equal(laughs.status, 2);
  assert.equal(laughs.stderr.trim(), `${file}: (yaml): Excessive alias count indicates a resource exhaustion attack`);
});

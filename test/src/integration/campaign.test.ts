import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LocalProcessExecutor, driverArgs, refs, runCampaign, type CampaignEvent, type LocalServices } from '@lth/controller';
import { expandCampaign, parseCampaign, type CampaignResults } from '@lth/core';
import { ArtifactStore } from '@lth/store';
import { CACHE_DIR, CLI, filesUnder, startServices, tempDir, TINY_CAMPAIGN } from './harness';

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

function run(events: CampaignEvent[] = []) {
  return runCampaign(spec, {
    executor: new LocalProcessExecutor({ command: process.execPath, args: [CLI], storeRoot }),
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
    assert.deepEqual(Object.keys(e).sort(), ['baselineAccuracy', 'id', 'model', 'pretraining', 'rewind', 'rounds', 'seed', 'task', 'winningSparsity'].sort());
    assert.deepEqual(e.rounds.map((r) => r.round), [0, 1, 2]);
    assert.deepEqual(e.rounds.map((r) => Number(r.sparsity.toFixed(4))), [0, 0.2, 0.36]);
    assert.equal(e.rounds[0]!.remainingWeights, 265200);
    assert.equal(e.rounds[0]!.maskDigest, '');
    for (const r of e.rounds) {
      assert.ok(r.testAccuracy > 0.5 && r.testAccuracy <= 1, `accuracy ${r.testAccuracy}`);
      assert.match(r.weightsDigest, /^sha256:[0-9a-f]{64}$/);
      assert.ok(Math.abs(r.density - (1 - r.sparsity)) < 1e-9);
    }
    assert.equal(e.baselineAccuracy, e.rounds[0]!.testAccuracy);
    const matching = e.rounds.filter((r) => r.round > 0 && r.testAccuracy >= e.baselineAccuracy!).map((r) => r.sparsity);
    assert.equal(e.winningSparsity, matching.length ? Math.max(...matching) : null);
  }
}

test('a campaign runs through the local executor, and a rerun skips every finished round with the same results', async () => {
  const events: CampaignEvent[] = [];
  const first = await run(events);
  assert.deepEqual(first.failed, []);
  checkResults(first.results);
  assert.ok(events.some((e) => e.type === 'progress'), 'no fine-tuning progress was reported');
  assert.equal(events.filter((e) => e.type === 'round-finished' && !e.skipped).length, 6);

  const again: CampaignEvent[] = [];
  const second = await run(again);
  assert.deepEqual(second.results, first.results);
  assert.equal(again.filter((e) => e.type === 'round-started').length, 0, 'a finished round ran again');
  assert.ok(again.some((e) => e.type === 'pretrain-finished' && e.skipped));
});

const withoutTimes = (r: CampaignResults) => ({ ...r, experiments: r.experiments.map((e) => ({ ...e, rounds: e.rounds.map((x) => ({ ...x, trainSeconds: 0 })) })) });

test('the same seed gives the same masks and accuracies from scratch, in a fresh store with fresh services', async () => {
  const first = await run();
  const otherStore = join(await tempDir('campaign-again'), 'store');
  const otherServices = await startServices(otherStore, 2);
  try {
    const other = await runCampaign(spec, {
      executor: new LocalProcessExecutor({ command: process.execPath, args: [CLI], storeRoot: otherStore }),
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
  const killStore = join(await tempDir('kill'), 'store');
  const experiment = expandCampaign(spec)[0]!;
  const store = new ArtifactStore(killStore);
  const planDigest = await store.putJson(experiment.settings.pretraining);
  // Pre-train first (through the driver), then kill round 0 while it fine-tunes.
  const pre = spawnSync(process.execPath, [CLI, ...driverArgs({ kind: 'pretrain', planDigest }, services.replicas[0]!, killStore)], { encoding: 'utf8' });
  assert.equal(pre.status, 0, pre.stderr);
  const experimentDigest = await store.putJson(experiment);
  const child = spawn(process.execPath, [CLI, ...driverArgs({ kind: 'round', experimentDigest, round: 0 }, services.replicas[0]!, killStore)]);
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
  assert.ok(!(await filesUnder(killStore)).some((f) => f.includes('.tmp-')));
  // Round 1 cannot start before round 0: the driver refuses, exit code 2 (bad input).
  const early = spawnSync(process.execPath, [CLI, ...driverArgs({ kind: 'round', experimentDigest, round: 1 }, services.replicas[0]!, killStore)], { encoding: 'utf8' });
  assert.equal(early.status, 2);
  assert.match(early.stderr, /round 0 of experiment [0-9a-f]+ has not finished/);
  const rerun = spawnSync(process.execPath, [CLI, ...driverArgs({ kind: 'round', experimentDigest, round: 0 }, services.replicas[0]!, killStore)], { encoding: 'utf8' });
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.ok(await store.getRef(refs.round(experiment.id, 0)));
});

test('lth run: starts its own services, prints the table, writes results.json and results.csv', async () => {
  const dir = await tempDir('cli');
  const file = join(dir, 'tiny.yaml');
  await writeFile(file, TINY_CAMPAIGN);
  const out = join(dir, 'out');
  const res = spawnSync(process.execPath, [CLI, 'run', file, '--out', out, '--store', join(dir, 'store')], { encoding: 'utf8', env: { ...process.env, LTH_CACHE: CACHE_DIR } });
  assert.equal(res.status, 0, res.stderr);
  assert.match(res.stdout, /winning sparsity/);
  assert.match(res.stdout, /round 2\/2 sparsity 36\.00%/);
  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as CampaignResults;
  checkResults(results);
  assert.ok(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu'].includes(results.backend));
  const csv = (await readFile(join(out, 'results.csv'), 'utf8')).trim().split('\n');
  assert.equal(csv.length, 1 + 6);
  assert.match(csv[0]!, /^experiment,model,pretraining,task,seed,rewind,round,sparsity/);
});

test('lth validate and lth run refuse an invalid campaign with one line per field and exit 2', async () => {
  const dir = await tempDir('invalid');
  const file = join(dir, 'bad.yaml');
  await writeFile(file, TINY_CAMPAIGN.replace('models: [lenet-300-100]', 'models: [lenet-5000]').replace('imp: { rounds: 2 }', 'imp: { rounds: 0 }'));
  for (const command of ['validate', 'run']) {
    const res = spawnSync(process.execPath, [CLI, command, file, ...(command === 'run' ? ['--out', join(dir, 'out')] : [])], { encoding: 'utf8' });
    assert.equal(res.status, 2, res.stderr);
    const lines = res.stderr.trim().split('\n');
    assert.deepEqual(lines, [`${file}: imp.rounds: Too small: expected number to be >=1`]);
  }
  await writeFile(file, TINY_CAMPAIGN.replace('models: [lenet-300-100]', 'models: [lenet-5000]'));
  const res = spawnSync(process.execPath, [CLI, 'validate', file], { encoding: 'utf8' });
  assert.equal(res.status, 2);
  assert.match(res.stderr, /models\[0\]: unknown model "lenet-5000" \(known: lenet-300-100, resnet-8, resnet-20\)/);
  assert.deepEqual(await filesUnder(join(dir, 'out')), []);
});

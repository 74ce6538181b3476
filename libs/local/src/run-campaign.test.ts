import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCampaign, type TaskRef, type Experiment, type Pretraining } from '@lth/core';
import { refs, type DriverEvent, type PretrainingRecord, type RoundRecord } from '@lth/driver';
import { ArtifactStore } from '@lth/store';
import type { CampaignEvent } from './campaign-events';
import { PermanentTaskError, type Executor } from './executor';
import { runCampaign } from './run-campaign';

const spec = parseCampaign(`
name: fake
models: [m]
pretrainings: [{ name: p, kind: none }]
tasks: [a, b]
seeds: [0, 1]
imp: { rounds: 3 }
`);

/** Writes the records a real driver would, without training anything. */
class FakeExecutor implements Executor {
  readonly runs: string[] = [];
  running = 0;
  maxRunning = 0;

  constructor(
    private readonly store: ArtifactStore,
    private readonly fail: (experiment: Experiment, round: number, attempt: number) => Error | undefined = () =>
      undefined,
  ) {}

  async run(task: TaskRef, _services: unknown, onEvent: (e: DriverEvent) => void): Promise<void> {
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      await new Promise((r) => setTimeout(r, 5));
      if (task.kind === 'pretraining') {
        const pretraining = await this.store.getJson<Pretraining>(task.pretrainingDigest);
        const record: PretrainingRecord = {
          pretrainingId: pretraining.id,
          weightsDigest: '',
          trainSeconds: 0,
          testAccuracy: null,
          backend: 'fake',
        };
        await this.store.setRef(refs.pretraining(pretraining.id), await this.store.putJson(record));
        return;
      }
      if (task.kind === 'branch') throw new PermanentTaskError('this fake driver runs no branches');
      const experiment = await this.store.getJson<Experiment>(task.experimentDigest);
      const key = `${experiment.settings.task}/${experiment.settings.seed}/${task.round}`;
      this.runs.push(key);
      const error = this.fail(experiment, task.round, this.runs.filter((r) => r === key).length);
      if (error) throw error;
      const density = Math.pow(0.8, task.round);
      if (task.round > 0 && !(await this.store.getRef(refs.round(experiment.id, task.round - 1))))
        throw new PermanentTaskError('out of order');
      const record: RoundRecord = {
        experimentId: experiment.id,
        round: task.round,
        maskDigest: '',
        prunedFromDigest: '',
        sparsity: 1 - density,
        density,
        remainingWeights: Math.round(1000 * density),
        prunableWeights: 1000,
        weightsDigest: 'sha256:' + '1'.repeat(64),
        testAccuracy: 0.9 + (task.round === 2 ? 0.01 : -0.01 * task.round),
        testLoss: 0.3,
        trainSeconds: 1,
        backend: 'fake',
      };
      onEvent({ type: 'round-finished', record });
      await this.store.setRef(refs.round(experiment.id, task.round), await this.store.putJson(record));
    } finally {
      this.running--;
    }
  }
}

const services = [{ data: 'd', pruning: 'p', finetune: 'f', evaluation: 'e' }];

test('runs every round of every experiment in order, in parallel up to the limit, and resumes', async () => {
  const store = new ArtifactStore(await mkdtemp(join(tmpdir(), 'lth-ctl-')));
  const executor = new FakeExecutor(store);
  const outcome = await runCampaign(spec, { executor, store, replicas: services, parallelism: 3 });
  assert.deepEqual(outcome.failed, []);
  assert.equal(executor.runs.length, 4 * 4);
  assert.equal(executor.maxRunning, 3);
  for (const e of outcome.results.experiments) {
    assert.deepEqual(
      e.rounds.map((r) => r.round),
      [0, 1, 2, 3],
    );
    assert.equal(e.denseAccuracy, 0.9);
    assert.ok(Math.abs(e.winningSparsity! - 0.36) < 1e-12);
  }
  const again = new FakeExecutor(store);
  const second = await runCampaign(spec, { executor: again, store, replicas: services, parallelism: 3 });
  assert.deepEqual(again.runs, []);
  assert.deepEqual(second.results, outcome.results);
});

test('a failing round is retried up to the limit, then only its experiment fails', async () => {
  const store = new ArtifactStore(await mkdtemp(join(tmpdir(), 'lth-ctl-')));
  const executor = new FakeExecutor(store, (e, round, attempt) => {
    if (e.settings.task === 'a' && e.settings.seed === 1 && round === 2) return new Error('pod evicted');
    if (e.settings.task === 'b' && e.settings.seed === 0 && round === 1 && attempt === 1) return new Error('transient');
    return undefined;
  });
  const outcome = await runCampaign(spec, { executor, store, replicas: services, parallelism: 2, maxAttempts: 3 });
  assert.equal(outcome.failed.length, 1);
  assert.match(outcome.failed[0]!.error, /round 2 failed: pod evicted/);
  assert.equal(executor.runs.filter((r) => r === 'a/1/2').length, 3);
  assert.equal(executor.runs.filter((r) => r === 'b/0/1').length, 2);
  const byKey = new Map(outcome.results.experiments.map((e) => [`${e.task}/${e.seed}`, e.rounds.length]));
  assert.deepEqual(Object.fromEntries(byKey), { 'a/0': 4, 'a/1': 2, 'b/0': 4, 'b/1': 4 });
});

test('bad input is not retried', async () => {
  const store = new ArtifactStore(await mkdtemp(join(tmpdir(), 'lth-ctl-')));
  const executor = new FakeExecutor(store, (e, round) =>
    e.settings.task === 'b' && round === 0 ? new PermanentTaskError('weights do not fit') : undefined,
  );
  const outcome = await runCampaign(spec, { executor, store, replicas: services, parallelism: 4, maxAttempts: 5 });
  assert.equal(outcome.failed.length, 2);
  assert.equal(executor.runs.filter((r) => r.startsWith('b/')).length, 2);
});

test('asked for more rounds, a finished campaign continues its experiments; for fewer, reports fewer', async () => {
  const store = new ArtifactStore(await mkdtemp(join(tmpdir(), 'lth-ctl-')));
  const first = await runCampaign(spec, {
    executor: new FakeExecutor(store),
    store,
    replicas: services,
    parallelism: 2,
  });
  const longer = parseCampaign(
    `name: fake\nmodels: [m]\npretrainings: [{ name: p, kind: none }]\ntasks: [a, b]\nseeds: [0, 1]\n` +
      'imp: { rounds: 5 }\n',
  );
  const executor = new FakeExecutor(store);
  const events: CampaignEvent[] = [];
  const second = await runCampaign(longer, {
    executor,
    store,
    replicas: services,
    parallelism: 2,
    onEvent: (e) => events.push(e),
  });
  assert.deepEqual(
    second.results.experiments.map((e) => e.id),
    first.results.experiments.map((e) => e.id),
    'the same experiments',
  );
  assert.deepEqual(
    [...new Set(executor.runs.map((r) => r.split('/')[2]))].sort(),
    ['4', '5'],
    'only rounds 4 and 5 ran',
  );
  assert.equal(events.filter((e) => e.type === 'round-finished' && e.skipped).length, 4 * 4);
  for (const e of second.results.experiments)
    assert.deepEqual(
      e.rounds.map((r) => r.round),
      [0, 1, 2, 3, 4, 5],
    );
  const shorter = parseCampaign(
    `name: fake\nmodels: [m]\npretrainings: [{ name: p, kind: none }]\ntasks: [a, b]\nseeds: [0, 1]\n` +
      'imp: { rounds: 1 }\n',
  );
  const third = await runCampaign(shorter, {
    executor: new FakeExecutor(store),
    store,
    replicas: services,
    parallelism: 2,
  });
  for (const e of third.results.experiments)
    assert.deepEqual(
      e.rounds.map((r) => r.round),
      [0, 1],
    );
});

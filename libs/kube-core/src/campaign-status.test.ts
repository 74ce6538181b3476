import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandCampaign, parseCampaign, planTasks, pretrainingsOf, taskKey, type StoreProgress } from '@lth/core';
import { campaignStatus, invalidStatus, withRememberedFailures } from './campaign-status';

const spec = parseCampaign(`
name: status
models: [lenet-300-100]
pretrainings: [{ name: sup, kind: supervised, dataset: fashion-mnist }]
tasks: [mnist, fashion-mnist]
seeds: [0, 1]
imp: { rounds: 2 }
`);
const experiments = expandCampaign(spec);
const pretraining = pretrainingsOf(experiments)[0]!;
const progressOf = (done: number[]): StoreProgress => ({
  pretrainingsDone: new Set([pretraining.id]),
  roundsDone: new Map(experiments.map((e, i) => [e.id, done[i]!])),
});
const plan = (done: number[], failedRound?: [number, number]) =>
  planTasks({
    experiments,
    lastRound: 2,
    progress: progressOf(done),
    maxAttempts: 1,
    parallelism: 10,
    attempts: new Map(
      failedRound
        ? [
            [
              taskKey({ kind: 'round', experiment: experiments[failedRound[0]]!, round: failedRound[1] }),
              { started: 1, running: false, failure: { message: 'BackoffLimitExceeded', permanent: false } },
            ],
          ]
        : [],
    ),
  }).experiments;
const status = (
  done: number[],
  now: string,
  previous?: ReturnType<typeof campaignStatus>,
  failedRound?: [number, number],
) =>
  campaignStatus({
    previous,
    generation: 3,
    experiments: plan(done, failedRound),
    failedTasks: new Map(),
    retry: undefined,
    rounds: new Map(),
    lastRound: 2,
    now,
  });

test('a failed experiment degrades the campaign; it fails only when everything has finished', () => {
  const s = status([3, 1, 0, 0], 't', undefined, [1, 1]);
  assert.equal(s.phase, 'Running');
  assert.equal(s.progress, '1/4');
  const byType = Object.fromEntries(s.conditions.map((c) => [c.type, c]));
  assert.equal(byType['Degraded']!.status, 'True');
  assert.equal(byType['Failed']!.status, 'False');
  assert.equal(byType['Progressing']!.observedGeneration, 3);
  assert.equal(status([3, 1, 3, 3], 't', undefined, [1, 1]).phase, 'Failed');
});

test('conditions keep their transition time until they flip; the winning sparsity is the core rule', () => {
  const t0 = status([0, 0, 0, 0], 't0');
  assert.deepEqual(status([0, 0, 0, 0], 't1', t0), t0);
  const rounds = [
    { round: 0, sparsity: 0, testAccuracy: 0.9 },
    { round: 1, sparsity: 0.2, testAccuracy: 0.91 },
    { round: 2, sparsity: 0.36, testAccuracy: 0.89 },
  ];
  const t2 = campaignStatus({
    previous: t0,
    generation: 3,
    experiments: plan([3, 3, 3, 3]),
    failedTasks: new Map(),
    retry: undefined,
    rounds: new Map([[experiments[0]!.id, rounds]]),
    lastRound: 2,
    now: 't2',
  });
  const c = Object.fromEntries(t2.conditions.map((x) => [x.type, x]));
  assert.equal(t2.phase, 'Succeeded');
  assert.equal(c['Complete']!.lastTransitionTime, 't2');
  assert.equal(c['Created']!.lastTransitionTime, 't0');
  assert.equal(t2.experiments[0]!.winningSparsity, 0.2);
  assert.equal(t2.experiments[0]!.testAccuracy, 0.89);
  assert.equal(t2.experiments[1]!.winningSparsity, null, 'no rounds: no winning ticket');
  assert.equal(t2.bestWinningSparsity, 0.2);
});

test('an invalid campaign gets phase Invalid and a condition naming the field', () => {
  const s = invalidStatus(undefined, 2, [{ path: 'imp.pruning.rate', message: 'Too big' }], 'now');
  assert.equal(s.phase, 'Invalid');
  const failed = s.conditions.find((c) => c.type === 'Failed')!;
  assert.equal(failed.reason, 'InvalidSpec');
  assert.match(failed.message, /spec\.imp\.pruning\.rate: Too big/);
});

test('failures the status remembers outlive their Jobs; running or newer attempts win', () => {
  const key = taskKey({ kind: 'round', experiment: experiments[1]!, round: 1 });
  const remembered = [{ task: key, attempts: 2, permanent: false, message: 'BackoffLimitExceeded' }];
  const merged = withRememberedFailures(new Map(), remembered);
  assert.deepEqual(merged.get(key), {
    started: 2,
    running: false,
    failure: { message: 'BackoffLimitExceeded', permanent: false },
  });
  const p = planTasks({
    experiments,
    lastRound: 2,
    progress: progressOf([3, 1, 3, 3]),
    attempts: merged,
    maxAttempts: 2,
    parallelism: 10,
  });
  assert.deepEqual(p.start, [], 'the Jobs are gone, the failure is not: nothing reruns');
  assert.equal(p.experiments[1]!.state, 'Failed');
  assert.deepEqual([...p.failedTasks.keys()], [key]);
  const running = new Map([[key, { started: 3, running: true }]]);
  assert.deepEqual(withRememberedFailures(running, remembered).get(key), { started: 3, running: true });
});

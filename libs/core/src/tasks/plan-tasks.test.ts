import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCampaign } from '../spec/parse-campaign';
import { expandCampaign, lastRound, pretrainingsOf } from '../spec/expand-campaign';
import { planTasks, type PlanInput, type TaskAttempts } from './plan-tasks';
import { taskKey, type Task } from './task';

const spec = parseCampaign(`
name: planner
models: [lenet-300-100]
pretrainings: [{ name: sup, kind: supervised, dataset: fashion-mnist }]
tasks: [mnist, fashion-mnist]
seeds: [0, 1]
imp: { rounds: 2 }
`);
const experiments = expandCampaign(spec);
const [pretraining] = pretrainingsOf(experiments);
const pretrainingTask: Task = { kind: 'pretraining', pretraining: pretraining! };
const round = (i: number, r: number): Task => ({ kind: 'round', experiment: experiments[i]!, round: r });

function plan(over: Partial<PlanInput> = {}) {
  return planTasks({
    experiments,
    lastRound: lastRound(spec),
    progress: { pretrainingsDone: new Set(), roundsDone: new Map() },
    attempts: new Map(),
    maxAttempts: 2,
    parallelism: 3,
    ...over,
  });
}
const ready = (roundsDone: number[]) => ({
  pretrainingsDone: new Set([pretraining!.id]),
  roundsDone: new Map(experiments.map((e, i) => [e.id, roundsDone[i] ?? 0])),
});
const attempts = (entries: [Task, TaskAttempts][]) => new Map(entries.map(([t, a]) => [taskKey(t), a]));
const started = (p: ReturnType<typeof plan>) =>
  p.start.map(({ task, attempt }) =>
    task.kind === 'round' ? `${experiments.indexOf(task.experiment)}:${task.round}#${attempt}` : `pre#${attempt}`,
  );

test('the pre-training runs before its experiments, which wait for it', () => {
  const first = plan();
  assert.deepEqual(started(first), ['pre#1']);
  assert.ok(first.experiments.every((e) => e.state === 'Pending' && /waiting for pre-training sup/.test(e.message)));
  const running = plan({ attempts: attempts([[pretrainingTask, { started: 1, running: true }]]) });
  assert.deepEqual(started(running), []);
  assert.equal(running.running, 1);
});

test('round n follows round n-1, within the parallelism and the global limit', () => {
  const next = plan({ progress: ready([2, 0, 0, 0]) });
  assert.deepEqual(started(next), ['0:2#1', '1:0#1', '2:0#1']);
  const busy = plan({
    progress: ready([2, 0, 0, 0]),
    attempts: attempts([[round(0, 2), { started: 1, running: true }]]),
    parallelism: 2,
  });
  assert.equal(busy.running, 1);
  assert.deepEqual(started(busy), ['1:0#1']);
  assert.equal(busy.experiments[0]!.state, 'Running');
  assert.deepEqual(started(plan({ progress: ready([0, 0, 0, 0]), globalFree: 1 })), ['0:0#1']);
  assert.deepEqual(started(plan({ progress: ready([0, 0, 0, 0]), globalFree: 0 })), []);
});

test('a finished experiment starts nothing; more rounds asked later continue it', () => {
  const done = plan({ progress: ready([3, 3, 3, 3]) });
  assert.deepEqual(started(done), []);
  assert.ok(done.experiments.every((e) => e.state === 'Succeeded' && e.roundsDone === 3));
  assert.deepEqual(started(plan({ progress: ready([3, 3, 3, 3]), lastRound: 4 })), ['0:3#1', '1:3#1', '2:3#1']);
  // Fewer rounds asked: nothing runs and only the asked rounds count.
  const fewer = plan({ progress: ready([3, 3, 3, 3]), lastRound: 1 });
  assert.deepEqual(started(fewer), []);
  assert.ok(fewer.experiments.every((e) => e.roundsDone === 2));
});

test('a failed attempt is retried until the attempts are used up; then only its experiment fails', () => {
  const failure = { message: 'pod evicted', permanent: false };
  const once = plan({
    progress: ready([3, 1, 3, 3]),
    attempts: attempts([[round(1, 1), { started: 1, running: false, failure }]]),
  });
  assert.deepEqual(started(once), ['1:1#2']);
  assert.match(once.experiments[1]!.message, /attempt 1 failed \(pod evicted\); retrying/);
  const twice = plan({
    progress: ready([3, 1, 0, 3]),
    attempts: attempts([[round(1, 1), { started: 2, running: false, failure }]]),
  });
  assert.deepEqual(started(twice), ['2:0#1']);
  assert.deepEqual(
    twice.experiments.map((e) => e.state),
    ['Succeeded', 'Failed', 'Pending', 'Succeeded'],
  );
  assert.match(twice.experiments[1]!.message, /round 1 failed: pod evicted/);
});

test('bad input is not retried', () => {
  const failure = { message: 'weights do not fit', permanent: true };
  const p = plan({
    progress: ready([0, 3, 3, 3]),
    attempts: attempts([[round(0, 0), { started: 1, running: false, failure }]]),
    maxAttempts: 5,
  });
  assert.deepEqual(started(p), []);
  assert.equal(p.experiments[0]!.state, 'Failed');
});

test('a failed pre-training fails every experiment that needs it', () => {
  const failure = { message: 'exit code 2', permanent: true };
  const p = plan({ attempts: attempts([[pretrainingTask, { started: 1, running: false, failure }]]) });
  assert.deepEqual(started(p), []);
  assert.equal(p.failedPretrainings.length, 1);
  assert.ok(p.experiments.every((e) => e.state === 'Failed' && /pre-training sup failed: exit code 2/.test(e.message)));
});

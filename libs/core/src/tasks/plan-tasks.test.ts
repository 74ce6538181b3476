import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCampaign } from '../spec/parse-campaign';
import { expandCampaign, lastRound, pretrainingsOf } from '../spec/expand-campaign';
import { branchRunsOf } from '../spec/branch-runs';
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

test('branches run once their round has finished, beside later rounds; the experiment ends with them', () => {
  const withBranches = parseCampaign(`
name: planner
models: [lenet-300-100]
pretrainings: [{ name: sup, kind: supervised, dataset: fashion-mnist }]
tasks: [mnist, fashion-mnist]
imp: { rounds: 2 }
branches: [{ kind: reversed-mask }, { kind: random-pruning, rounds: [2] }]
transfer: { from: [mnist], to: [fashion-mnist], rounds: [0, 2] }
`);
  const grid = expandCampaign(withBranches);
  const runs = branchRunsOf(withBranches, grid, lastRound(withBranches));
  const described = (id: string) => runs.filter((r) => r.experiment.id === id).map((r) => `${r.kind}@${r.round}`);
  assert.deepEqual(described(grid[0]!.id), [
    'transfer@0',
    'reversed-mask@1',
    'reversed-mask@2',
    'random-pruning@2',
    'transfer@2',
  ]);
  // fashion-mnist is not a transfer source here, and never transfers to itself.
  assert.deepEqual(described(grid[1]!.id), ['reversed-mask@1', 'reversed-mask@2', 'random-pruning@2']);
  assert.equal(new Set(runs.map((r) => r.id)).size, runs.length);

  const progress = (rounds: number[], branchesDone: string[] = []) => ({
    pretrainingsDone: new Set([grid[0]!.settings.pretraining.id]),
    roundsDone: new Map(grid.map((e, i) => [e.id, rounds[i]!])),
    branchesDone: new Set(branchesDone),
  });
  const input = {
    experiments: grid,
    lastRound: 2,
    branchRuns: runs,
    attempts: new Map(),
    maxAttempts: 2,
    parallelism: 8,
  };
  const keys = (p: ReturnType<typeof planTasks>) => p.start.map(({ task }) => taskKey(task));
  const afterRound1 = planTasks({ ...input, progress: progress([2, 3]) });
  const first = runs.filter((r) => r.experiment.id === grid[0]!.id);
  assert.deepEqual(keys(afterRound1).slice(0, 3), [
    `round/${grid[0]!.id}/2`,
    `branch/${first[0]!.id}`,
    `branch/${first[1]!.id}`,
  ]);
  const allRounds = planTasks({ ...input, progress: progress([3, 3]) });
  assert.ok(allRounds.experiments.every((e) => e.state === 'Pending' && e.branchesDone === 0));
  const done = planTasks({
    ...input,
    progress: progress(
      [3, 3],
      runs.map((r) => r.id),
    ),
  });
  assert.ok(done.experiments.every((e) => e.state === 'Succeeded' && e.branchesDone === e.branches));
  assert.deepEqual(done.start, []);

  const failedBranch = planTasks({
    ...input,
    progress: progress([3, 3]),
    attempts: new Map([
      [`branch/${first[0]!.id}`, { started: 2, running: false, failure: { message: 'oom', permanent: false } }],
    ]),
  });
  assert.equal(failedBranch.experiments[0]!.state, 'Failed');
  assert.match(failedBranch.experiments[0]!.message, /transfer of round 0 to fashion-mnist failed: oom/);
});

test('branches and transfers are checked: known kinds once each, pruned rounds, tasks of the campaign', () => {
  const base = 'name: c\nmodels: [lenet-300-100]\npretrainings: [{ name: n, kind: none }]\ntasks: [mnist]\n';
  assert.throws(() => parseCampaign(base + 'branches: [{ kind: magic }]'), /branches\[0\]\.kind/);
  assert.throws(
    () => parseCampaign(base + 'branches: [{ kind: reversed-mask }, { kind: reversed-mask }]'),
    /listed twice/,
  );
  assert.throws(() => parseCampaign(base + 'branches: [{ kind: reversed-mask, rounds: [0] }]'), /round 0 is dense/);
  assert.throws(
    () => parseCampaign(base + 'transfer: { from: [svhn], to: [mnist] }'),
    /transfer\.from\[0\].*not one of the campaign's transfer sources \(mnist\)/,
  );
  assert.throws(
    () => parseCampaign(base + 'transfer: { from: [pretraining-tickets], to: [mnist] }'),
    /transfer\.from\[0\]/,
    'pre-training tickets are a source only when the campaign finds them',
  );
  assert.throws(
    () => parseCampaign(base + 'pretrainingTickets: { pretrainings: [n] }'),
    /pretrainingTickets\.pretrainings\[0\]: "n" is not a supervised, simclr or moco pre-training/,
  );
});

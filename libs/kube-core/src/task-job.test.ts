import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandCampaign, parseCampaign, pretrainingsOf, taskKey, type Task } from '@lth/core';
import {
  attemptsOfJobs,
  awaitingRecord,
  DEFAULT_JOB_SETTINGS,
  jobName,
  LABELS,
  obsoleteJobs,
  taskJob,
  type JobView,
} from './task-job';

const spec = parseCampaign(`
name: a-rather-long-campaign-name-that-goes-on-and-on
models: [lenet-300-100]
pretrainings: [{ name: sup, kind: supervised, dataset: fashion-mnist }]
tasks: [mnist, fashion-mnist]
seeds: [0, 1]
imp: { rounds: 2 }
`);
const experiments = expandCampaign(spec);
const round = (i: number, r: number): Task => ({ kind: 'round', experiment: experiments[i]!, round: r });

const ref = { name: spec.name, namespace: 'lth', uid: 'u-1' };

test('job names are deterministic DNS labels short enough for pod names, one per attempt', () => {
  const names = experiments.flatMap((_, i) => [jobName(ref, round(i, 12), 1), jobName(ref, round(i, 12), 2)]);
  for (const n of names) assert.match(n, /^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/);
  assert.equal(new Set(names).size, names.length);
  assert.equal(jobName(ref, round(0, 12), 1), names[0]);
});

test('campaigns that share a long name prefix, or a recreated campaign, never share a Job name', () => {
  const other = { ...ref, name: `${spec.name}-and-on-again` };
  assert.notEqual(jobName(ref, round(0, 1), 1), jobName(other, round(0, 1), 1));
  assert.notEqual(jobName(ref, round(0, 1), 1), jobName({ ...ref, uid: 'u-2' }, round(0, 1), 1));
});

interface JobShape {
  metadata: { labels: Record<string, string>; ownerReferences: { uid: string }[] };
  spec: {
    backoffLimit: number;
    podFailurePolicy: { rules: { onExitCodes?: { containerName: string; values: number[] } }[] };
    template: {
      spec: {
        restartPolicy: string;
        containers: {
          name: string;
          image: string;
          command: string[];
          args: string[];
          volumeMounts: { mountPath: string }[];
        }[];
      };
    };
  };
}

test('a task Job runs the driver once per attempt, fails fast on bad input, and is labelled', () => {
  const job = taskJob({
    campaign: { name: spec.name, namespace: 'lth', uid: 'u-1' },
    task: round(0, 1),
    attempt: 2,
    settingsDigest: 'sha256:' + 'a'.repeat(64),
    defaults: { ...DEFAULT_JOB_SETTINGS, image: 'registry.example.com/lth:1.0.0' },
    overrides: { image: 'mine:1' },
  }) as unknown as JobShape;
  assert.equal(job.metadata.labels[LABELS.experiment], experiments[0]!.id);
  assert.equal(job.metadata.labels[LABELS.round], '1');
  assert.equal(job.metadata.labels[LABELS.attempt], '2');
  assert.equal(job.metadata.ownerReferences[0]!.uid, 'u-1');
  assert.equal(job.spec.backoffLimit, 0, 'the planner counts attempts, not the Job');
  const pod = job.spec.template.spec;
  const container = pod.containers[0]!;
  assert.equal(pod.restartPolicy, 'Never');
  assert.equal(container.image, 'mine:1');
  assert.deepEqual(container.command, ['lth-driver']);
  assert.deepEqual(container.args.slice(0, 4), ['--experiment', 'sha256:' + 'a'.repeat(64), '--round', '1']);
  const failJob = job.spec.podFailurePolicy.rules[1]!.onExitCodes!;
  assert.deepEqual([failJob.containerName, failJob.values], [container.name, [2]]);
  assert.equal(container.volumeMounts[0]!.mountPath, '/var/lib/lth');
});

const view = (task: Task, attempt: number, condition?: { type: string; reason?: string }): JobView => {
  const labels: Record<string, string> = { [LABELS.attempt]: String(attempt) };
  if (task.kind === 'round')
    Object.assign(labels, { [LABELS.experiment]: task.experiment.id, [LABELS.round]: String(task.round) });
  else if (task.kind === 'pretraining') labels[LABELS.pretraining] = task.pretraining.id;
  return {
    metadata: { name: `j${attempt}`, labels },
    status: { conditions: condition ? [{ ...condition, status: 'True' }] : [] },
  };
};

test('Jobs become the planner attempts: the latest attempt counts; bad input is permanent', () => {
  const pre: Task = { kind: 'pretraining', pretraining: pretrainingsOf(experiments)[0]! };
  const attempts = attemptsOfJobs([
    view(round(0, 1), 1, { type: 'Failed', reason: 'BackoffLimitExceeded' }),
    view(round(0, 1), 2),
    view(round(1, 0), 1, { type: 'Failed', reason: 'PodFailurePolicy' }),
    view(pre, 1, { type: 'Complete' }),
  ]);
  assert.deepEqual(attempts.get(taskKey(round(0, 1))), { started: 2, running: true });
  assert.deepEqual(attempts.get(taskKey(round(1, 0)))?.failure?.permanent, true);
  const late = attempts.get(taskKey(pre))!;
  assert.equal(late.running, false);
  assert.match(late.failure!.message, /completed but the store has shown no record of it for 120 s/);
  assert.equal(late.failure!.permanent, false);
});

test('a changed spec makes the running Jobs of what it no longer asks for obsolete, and only those', () => {
  const jobs = [
    view(round(0, 2), 1),
    view(round(1, 1), 1),
    view(round(2, 1), 1, { type: 'Failed', reason: 'BackoffLimitExceeded' }),
    view(round(3, 0), 1),
  ];
  // Experiments 2 and 3 removed; only two rounds asked (0 and 1).
  const obsolete = obsoleteJobs(jobs, experiments.slice(0, 2), 1);
  assert.deepEqual(
    obsolete.map((j) => j.metadata?.labels?.[LABELS.round]),
    ['2', '0'],
    'round 2 beyond the last round, and the removed experiment 3; finished Jobs stay',
  );
});

test('a completed Job whose record the store does not show yet counts as running for a grace period', () => {
  const pre: Task = { kind: 'pretraining', pretraining: pretrainingsOf(experiments)[0]! };
  const completed = view(pre, 1, { type: 'Complete' });
  completed.status!.completionTime = new Date(1_000_000).toISOString();
  const at = (now: number) => attemptsOfJobs([completed], { now, graceMs: 120_000 }).get(taskKey(pre))!;
  assert.deepEqual(at(1_000_000 + 60_000), { started: 1, running: true }, 'a network filesystem may be late');
  assert.equal(at(1_000_000 + 121_000).failure?.permanent, false, 'then a failed attempt, retried');
});

test('a campaign awaits a record only while a completed Job has none in the store', () => {
  const e = experiments[0]!;
  const round1: Task = { kind: 'round', experiment: e, round: 1 };
  const jobs = [view(round1, 1, { type: 'Complete' })];
  const progress = (rounds: number) => ({ pretrainingsDone: new Set<string>(), roundsDone: new Map([[e.id, rounds]]) });
  assert.equal(awaitingRecord(jobs, progress(1)), true, 'round 1 completed, the store shows round 0 only');
  assert.equal(awaitingRecord(jobs, progress(2)), false, 'its record is there');
  assert.equal(awaitingRecord([view(round1, 1)], progress(1)), false, 'a running Job is announced by its watch');
});

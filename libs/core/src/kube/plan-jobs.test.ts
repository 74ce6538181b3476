import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCampaign } from '../spec/parse-campaign';
import { expandCampaign, pretrainingsOf } from '../spec/expand-campaign';
import { jobName, planJobs, type ObservedJob } from './plan-jobs';
import { campaignStatus, invalidStatus } from './campaign-status';
import { roundJob, DEFAULT_JOB_SETTINGS } from './round-job';

const spec = parseCampaign(`
name: a-rather-long-campaign-name-that-goes-on-and-on
models: [lenet-300-100]
pretrainings: [{ name: sup, kind: supervised, dataset: fashion-mnist }]
tasks: [mnist, fashion-mnist]
seeds: [0, 1]
imp: { rounds: 2 }
`);
const experiments = expandCampaign(spec);
const plans = pretrainingsOf(experiments);
const campaign = spec.name;

const none = { pretrainingsDone: new Set<string>(), roundsDone: new Map<string, number>() };
const jobs = (entries: [string, ObservedJob['state'], string?][]) => new Map(entries.map(([name, state, message]) => [name, { name, state, message }]));

test('job names are deterministic DNS labels short enough for pod names', () => {
  const names = experiments.map((experiment) => jobName(campaign, { kind: 'round', experiment, round: 12 }));
  for (const n of names) assert.match(n, /^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/);
  assert.equal(new Set(names).size, names.length);
  assert.equal(jobName(campaign, { kind: 'round', experiment: experiments[0]!, round: 12 }), names[0]);
});

test('pre-training first; then the next round of every experiment, within the slots', () => {
  const first = planJobs(campaign, experiments, plans, none, new Map(), 3);
  assert.deepEqual(first.create.map((t) => t.kind), ['pretrain']);
  assert.ok(first.experiments.every((e) => e.state === 'Pending'));

  const ready = { pretrainingsDone: new Set([plans[0]!.id]), roundsDone: new Map([[experiments[0]!.id, 2]]) };
  const next = planJobs(campaign, experiments, plans, ready, new Map(), 3);
  assert.deepEqual(next.create.map((t) => (t.kind === 'round' ? `${t.experiment.id}:${t.round}` : 'pre')), [`${experiments[0]!.id}:2`, `${experiments[1]!.id}:0`, `${experiments[2]!.id}:0`]);

  // Active Jobs take slots; existing Jobs are never created again.
  const active = jobs([[jobName(campaign, { kind: 'round', experiment: experiments[0]!, round: 2 }), 'active']]);
  const busy = planJobs(campaign, experiments, plans, ready, active, 2);
  assert.equal(busy.running, 1);
  assert.deepEqual(busy.create.map((t) => (t.kind === 'round' ? t.experiment.id : '')), [experiments[1]!.id]);
  assert.equal(busy.experiments[0]!.state, 'Running');
});

test('finished rounds never get a Job again, and a failed Job fails only its experiment', () => {
  const roundsDone = new Map(experiments.map((e, i) => [e.id, i === 0 ? 3 : 1]));
  const progress = { pretrainingsDone: new Set([plans[0]!.id]), roundsDone };
  const failed = jobs([[jobName(campaign, { kind: 'round', experiment: experiments[1]!, round: 1 }), 'failed', 'BackoffLimitExceeded']]);
  const plan = planJobs(campaign, experiments, plans, progress, failed, 10);
  assert.deepEqual(plan.experiments.map((e) => e.state), ['Succeeded', 'Failed', 'Pending', 'Pending']);
  assert.match(plan.experiments[1]!.message, /round 1 failed: BackoffLimitExceeded/);
  assert.deepEqual(plan.create.map((t) => (t.kind === 'round' ? t.round : -1)), [1, 1]);

  const status = campaignStatus(undefined, 3, plan.experiments, new Map(), '2026-01-01T00:00:00Z');
  assert.equal(status.phase, 'Running');
  assert.equal(status.progress, '1/4');
  const byType = Object.fromEntries(status.conditions.map((c) => [c.type, c]));
  assert.equal(byType['Degraded']!.status, 'True');
  assert.equal(byType['Failed']!.status, 'False');
  assert.equal(byType['Progressing']!.observedGeneration, 3);
});

test('a failed pre-training fails the experiments that need it', () => {
  const failed = jobs([[jobName(campaign, { kind: 'pretrain', plan: plans[0]! }), 'failed', 'exit code 2']]);
  const plan = planJobs(campaign, experiments, plans, none, failed, 10);
  assert.deepEqual(plan.create, []);
  assert.ok(plan.experiments.every((e) => e.state === 'Failed' && /pre-training sup failed: exit code 2/.test(e.message)));
  const status = campaignStatus(undefined, 1, plan.experiments, new Map(), 'now');
  assert.equal(status.phase, 'Failed');
});

test('conditions keep their transition time until they flip', () => {
  const states = planJobs(campaign, experiments, plans, none, new Map(), 1).experiments;
  const t0 = campaignStatus(undefined, 1, states, new Map(), 't0');
  const t1 = campaignStatus(t0, 1, states, new Map(), 't1');
  assert.deepEqual(t1, t0);
  const doneAll = new Map(experiments.map((e) => [e.id, 3]));
  const finished = planJobs(campaign, experiments, plans, { pretrainingsDone: new Set([plans[0]!.id]), roundsDone: doneAll }, new Map(), 1);
  const t2 = campaignStatus(t1, 1, finished.experiments, new Map([[experiments[0]!.id, { sparsity: 0.36, testAccuracy: 0.9, winningSparsity: 0.36 }]]), 't2');
  const c = Object.fromEntries(t2.conditions.map((x) => [x.type, x]));
  assert.equal(t2.phase, 'Succeeded');
  assert.equal(c['Complete']!.lastTransitionTime, 't2');
  assert.equal(c['Created']!.lastTransitionTime, 't0');
  assert.equal(t2.bestWinningSparsity, 0.36);
});

test('an invalid campaign gets phase Invalid and a condition naming the field', () => {
  const s = invalidStatus(undefined, 2, [{ path: 'imp.pruning.rate', message: 'Too big' }], 'now');
  assert.equal(s.phase, 'Invalid');
  const failed = s.conditions.find((c) => c.type === 'Failed')!;
  assert.equal(failed.reason, 'InvalidSpec');
  assert.match(failed.message, /spec\.imp\.pruning\.rate: Too big/);
});

interface JobShape {
  metadata: { labels: Record<string, string>; ownerReferences: { uid: string }[] };
  spec: {
    podFailurePolicy: { rules: { onExitCodes: { values: number[] } }[] };
    template: { spec: { restartPolicy: string; containers: { image: string; args: string[]; volumeMounts: { mountPath: string }[] }[] } };
  };
}

test('a round Job runs the round driver with retries, fast failure on bad input, and labels', () => {
  const job = roundJob({ name: campaign, namespace: 'lth', uid: 'u-1' }, { kind: 'round', experiment: experiments[0]!, round: 1 }, 'sha256:' + 'a'.repeat(64), DEFAULT_JOB_SETTINGS, { image: 'mine:1' }) as unknown as JobShape;
  assert.equal(job.metadata.labels['lth.dev/experiment'], experiments[0]!.id);
  assert.equal(job.metadata.labels['lth.dev/round'], '1');
  assert.equal(job.metadata.ownerReferences[0].uid, 'u-1');
  const pod = job.spec.template.spec;
  assert.equal(pod.restartPolicy, 'Never');
  assert.equal(pod.containers[0].image, 'mine:1');
  assert.deepEqual(pod.containers[0].args.slice(0, 5), ['round', '--experiment', 'sha256:' + 'a'.repeat(64), '--round', '1']);
  assert.deepEqual(job.spec.podFailurePolicy.rules[1].onExitCodes.values, [2]);
  assert.equal(pod.containers[0].volumeMounts[0].mountPath, '/var/lib/lth');
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import type { CampaignResults } from '@lth/core';
import { DRIVER_PROGRAM, type CampaignStatus } from '@lth/kube-core';
import type { LocalServices } from '@lth/local';
import { refs } from '@lth/driver';
import { ArtifactStore } from '@lth/store';
import { argv, CACHE_DIR, CLI, freePort, PROGRAMS, startServices, tempDir } from '../integration/harness';
import { kubeconfigFor, startFakeApiServer, type FakeApiServer, type PolicyRule } from './fake-apiserver';
import { startFakeKubelet, type FakeKubelet, type FakeKubeletOptions } from './fake-kubelet';

const ROOT = join(__dirname, '../../..');
let api: FakeApiServer;
let kubelet: FakeKubelet;
let services: LocalServices;
let dir: string;
let storeRoot: string;
let kubeconfig: string;
/** The controller's kubeconfig: its service account's token, which the API server holds to the Role. */
let controllerKubeconfig: string;
const CONTROLLER_TOKEN = 'system:serviceaccount:lth:lth-controller';
const failRounds = new Set<string>(); // "experimentId:round" whose pods exit 1
const holdRounds = new Set<string>(); // "experimentId:round" whose pods run until deleted
const roundOf = (job: { metadata: { labels?: Record<string, string> } }) =>
  `${job.metadata.labels?.['lth.dev/experiment']}:${job.metadata.labels?.['lth.dev/round']}`;
const kubeletOptions: FakeKubeletOptions = {
  env: { LTH_CACHE: CACHE_DIR },
  failPod: (job) => failRounds.has(roundOf(job)),
  holdPod: (job) => holdRounds.has(roundOf(job)),
};

before(async () => {
  dir = await tempDir('cluster');
  storeRoot = join(dir, 'store');
  api = await startFakeApiServer({
    roles: { [CONTROLLER_TOKEN]: controllerRole().rules },
    crds: [parseYaml(await readFile(join(ROOT, 'k8s/base/crd.yaml'), 'utf8'))],
    historyLimit: 300,
  });
  kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, kubeconfigFor(api.url));
  controllerKubeconfig = join(dir, 'controller-kubeconfig');
  await writeFile(controllerKubeconfig, kubeconfigFor(api.url, 'lth', CONTROLLER_TOKEN));
  services = await startServices(storeRoot, 1);
  const containers = [{ name: 'controller', image: CONTROLLER_IMAGE }];
  api.create('pods', 'lth', { metadata: { name: CONTROLLER_POD }, spec: { containers } } as never);
  kubelet = startFakeKubelet(api, { [DRIVER_PROGRAM]: PROGRAMS.driver }, kubeletOptions);
});

after(async () => {
  await kubelet?.stop();
  await services?.stop();
  await api?.close();
});

/** The controller's Role as the manifests render it (kubectl kustomize). */
function controllerRole(): { rules: PolicyRule[] } {
  const rendered = execFileSync('kubectl', ['kustomize', join(ROOT, 'k8s/overlays/cpu')], { encoding: 'utf8' });
  const docs = parseAllDocuments(rendered).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
  const role = docs.find((d) => d.kind === 'Role' && d.metadata.name === 'lth-controller');
  return role as unknown as { rules: PolicyRule[] };
}

/** The controller's own pod, whose image the task Jobs run (as kubectl's Deployment would create it). */
const CONTROLLER_POD = 'lth-controller-7d9f-x2x4q';
const CONTROLLER_IMAGE = 'registry.example.com/lth:1.2.3-cpu';

const env = () => ({ ...process.env, KUBECONFIG: kubeconfig, LTH_CACHE: CACHE_DIR, POD_NAME: CONTROLLER_POD });

/** Runs the CLI without blocking this process, which serves the fake API server. */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: env() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function startController(identity: string, metricsPort?: number): ChildProcess {
  const s = services.replicas[0]!;
  const args = [
    '--namespace',
    'lth',
    '--store',
    storeRoot,
    '--parallelism',
    '2',
    '--requeue-ms',
    '300',
    '--event-interval-ms',
    '1000',
    '--identity',
    identity,
    '--job-defaults',
    JSON.stringify({ services: s }),
    ...(metricsPort ? ['--metrics', `127.0.0.1:${metricsPort}`] : []),
  ];
  const child = spawn(process.execPath, argv(PROGRAMS.controller, args), {
    env: { ...env(), KUBECONFIG: controllerKubeconfig },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  createInterface({ input: child.stderr! }).on(
    'line',
    (l) => process.env['LTH_TEST_LOG'] && process.stderr.write(`[${identity}] ${l}\n`),
  );
  return child;
}

async function stopController(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

function campaignYaml(name: string, seeds: number[], extra = ''): string {
  return `
name: ${name}
models: [lenet-300-100]
pretrainings:
  - name: mnist-slice
    kind: supervised
    dataset: mnist
    training: { epochs: 1, maxSteps: 10, batchSize: 64, maxExamples: 640 }
tasks: [mnist]
seeds: [${seeds.join(', ')}]
imp: { rounds: 2 }
finetune: { epochs: 1, batchSize: 64, maxExamples: 320 }
evaluation: { maxExamples: 300 }
${extra}`;
}

async function submit(name: string, yaml: string): Promise<void> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, yaml);
  const res = await cli(['submit', file, '--namespace', 'lth']);
  assert.equal(res.status, 0, res.stderr);
}

const statusOf = (name: string) => api.get('campaigns', 'lth', name)?.status as CampaignStatus | undefined;

type Check<T> = () => T | undefined | false | Promise<T | undefined | false>;

async function waitFor<T>(what: string, check: Check<T>, timeoutMs = 180_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const withoutTimes = (r: CampaignResults) => ({
  ...r,
  experiments: r.experiments.map((e) => ({
    ...e,
    rounds: e.rounds.map((x) => ({ ...x, trainSeconds: 0 })),
    branches: e.branches.map((x) => ({ ...x, trainSeconds: 0 })),
  })),
});

/** `lth results` of a cluster campaign, from the shared store. */
async function clusterResults(name: string): Promise<CampaignResults> {
  const out = join(dir, `${name}-results`);
  const res = await cli(['results', name, '--namespace', 'lth', '--store', storeRoot, '--out', out]);
  assert.equal(res.status, 0, res.stderr);
  // It fetches what the report needs: the report of a cluster campaign is made on this machine.
  const report = await cli(['report', out, '--store', storeRoot, '--sigmas', '0.5', '--draws', '1', '--quiet']);
  assert.equal(report.status, 0, report.stderr);
  assert.equal(report.stdout.trim(), `report: ${join(out, 'report.html')}`);
  return JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as CampaignResults;
}

/** The same campaign through `lth run` on this machine gives the same results, times aside. */
async function assertEqualsLthRun(name: string, yaml: string, cluster: CampaignResults): Promise<void> {
  const local = join(dir, `${name}-local`);
  await writeFile(`${local}.yaml`, yaml);
  const run = await cli(['run', `${local}.yaml`, '--out', local, '--store', join(dir, 'local-store'), '--quiet']);
  assert.equal(run.status, 0, run.stderr);
  const fromRun = JSON.parse(await readFile(join(local, 'results.json'), 'utf8')) as CampaignResults;
  assert.deepEqual(withoutTimes(cluster), withoutTimes(fromRun));
}

test('a Campaign custom resource runs end to end as Jobs, and its results equal lth run on the same spec', async () => {
  const controller = startController('solo');
  try {
    await submit('alpha', campaignYaml('alpha', [0, 1]));
    const status = await waitFor('alpha to succeed', () =>
      statusOf('alpha')?.phase === 'Succeeded' ? statusOf('alpha') : undefined,
    );
    assert.equal(status.progress, '2/2');
    assert.ok(status.experiments.every((e) => e.roundsDone === 3 && e.testAccuracy! > 0.3));
    const complete = status.conditions.find((c) => c.type === 'Complete')!;
    assert.equal(complete.status, 'True');
    assert.equal(complete.observedGeneration, 1);
    const jobs = api.list('jobs', 'lth').filter((j) => j.metadata.labels?.['lth.dev/campaign'] === 'alpha');
    assert.equal(jobs.length, 1 + 2 * 3, 'one pre-training Job and one Job per round');
    for (const j of jobs) assert.equal(j.metadata.labels?.['lth.dev/attempt'], '1');
    const images = jobs.map(
      (j) =>
        (j['spec'] as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image,
    );
    assert.deepEqual([...new Set(images)], [CONTROLLER_IMAGE], "task Jobs run the controller's own image");
    const shown = await cli(['status', 'alpha', '--namespace', 'lth']);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /^alpha: Succeeded, experiments 2\/2, best winning sparsity/);
    assert.match(shown.stdout, /Complete: AllExperimentsFinished/);
    assert.match(shown.stdout, /seed 1: Succeeded, round 3\/3, sparsity 36\.00%/);
    const events = api.list('events', 'lth').map((e) => e['reason']);
    assert.ok(events.includes('RoundStarted') && events.includes('RoundFinished'));
    const refused = api.requests.filter((r) => r.path.endsWith('/campaigns/alpha/status') && r.status === 409);
    assert.equal(refused.length, 0, 'a status write from a stale copy of the campaign (409 Conflict)');

    await assertEqualsLthRun('alpha', campaignYaml('alpha', [0, 1]), await clusterResults('alpha'));
  } finally {
    await stopController(controller);
  }
});

test('branches and transfers run as Jobs of their own once their round is done; results equal lth run', async () => {
  const controller = startController('branches');
  const extra = 'branches: [{ kind: reversed-mask, rounds: [2] }]\ntransfer: { to: [fashion-mnist], rounds: [1, 2] }';
  try {
    await submit('branchy', campaignYaml('branchy', [0], extra));
    const status = await waitFor('branchy to succeed', () =>
      statusOf('branchy')?.phase === 'Succeeded' ? statusOf('branchy') : undefined,
    );
    assert.deepEqual(
      status.experiments.map((e) => [e.roundsDone, e.branchesDone, e.branches]),
      [[3, 3, 3]],
    );
    const jobs = api.list('jobs', 'lth').filter((j) => j.metadata.labels?.['lth.dev/campaign'] === 'branchy');
    const branchJobs = jobs.filter((j) => j.metadata.labels?.['lth.dev/branch']);
    assert.equal(branchJobs.length, 3, 'one Job per branch');
    assert.deepEqual(branchJobs.map((j) => j.metadata.name.replace(/^.*-(b\d)-a1$/, '$1')).sort(), ['b1', 'b2', 'b2']);
    const shown = await cli(['status', 'branchy', '--namespace', 'lth']);
    assert.match(shown.stdout, /round 3\/3, branches 3\/3/);

    const out = join(dir, 'branchy-results');
    const res = await cli(['results', 'branchy', '--namespace', 'lth', '--store', storeRoot, '--out', out]);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /results\.csv, branches\.csv/);
    const cluster = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as CampaignResults;
    assert.deepEqual(
      cluster.experiments[0]!.branches.map((b) => `${b.kind}@${b.round}:${b.task}`),
      ['transfer@1:fashion-mnist', 'reversed-mask@2:mnist', 'transfer@2:fashion-mnist'],
    );
    await assertEqualsLthRun('branchy', campaignYaml('branchy', [0], extra), cluster);
  } finally {
    await stopController(controller);
  }
});

test('a SimCLR pre-training, its tickets and their transfer run as Jobs; results equal lth run', async () => {
  const controller = startController('ssl');
  const yaml = `
name: ssl
models: [lenet-300-100]
pretrainings:
  - name: simclr
    kind: simclr
    dataset: fashion-mnist
    training: { epochs: 1, maxSteps: 4, batchSize: 32, maxExamples: 128 }
    projection: { hidden: 16, dim: 8 }
tasks: [mnist]
imp: { rounds: 1 }
pretrainingTickets: { training: { epochs: 1, maxSteps: 2, batchSize: 32, maxExamples: 64 } }
transfer: { from: [pretraining-tickets], to: [mnist] }
finetune: { epochs: 1, batchSize: 64, maxExamples: 320 }
evaluation: { maxExamples: 300 }
`;
  try {
    await submit('ssl', yaml);
    const status = await waitFor('ssl to succeed', () =>
      statusOf('ssl')?.phase === 'Succeeded' ? statusOf('ssl') : undefined,
    );
    assert.equal(status.progress, '2/2', 'the downstream experiment and the pre-training tickets');
    const cluster = await clusterResults('ssl');
    assert.deepEqual(
      cluster.transfers.map((t) => `${t.from}->${t.task}:${t.rounds.length}`),
      ['pretraining-tickets->mnist:2'],
    );
    await assertEqualsLthRun('ssl', yaml, cluster);
  } finally {
    await stopController(controller);
  }
});

test('a finished campaign is left alone: no reconcile, no status write, no Event', async () => {
  const port = await freePort();
  const controller = startController('quiet', port);
  try {
    // It leads (its own metric says so: the Lease may still name an earlier controller) and has
    // looked at every campaign once.
    await waitFor('the controller to lead', async () => (await metric(port, 'lth_leader').catch(() => 0)) === 1);
    await new Promise((r) => setTimeout(r, 1500));
    const writes = () =>
      api.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/campaigns/alpha/status')).length;
    const events = () => api.list('events', 'lth').length;
    const [w0, e0, r0] = [writes(), events(), await metric(port, 'lth_reconcile_total')];
    // The API server returns alpha's status key-sorted; its Jobs are done; nothing should happen.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(writes(), w0, 'a status write for a campaign that did not change');
    assert.equal(events(), e0, 'an Event for a campaign that did not change');
    assert.equal(await metric(port, 'lth_reconcile_total'), r0, 'a finished campaign was reconciled again');
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200, 'the controller answers its probes');
  } finally {
    await stopController(controller);
  }
});

test('a controller killed with SIGKILL resumes after a restart; no finished round runs again', async () => {
  let controller = startController('first');
  await submit('bravo', campaignYaml('bravo', [2]));
  await waitFor('a finished round', () => (statusOf('bravo')?.experiments?.[0]?.roundsDone ?? 0) >= 1);
  await stopController(controller, 'SIGKILL');
  controller = startController('second');
  try {
    await waitFor('bravo to succeed', () => statusOf('bravo')?.phase === 'Succeeded');
    const started = kubelet.started.filter((n) => n.startsWith('bravo-'));
    assert.equal(new Set(started).size, started.length, `a Job ran twice: ${started.join(', ')}`);
    // The pre-training is alpha's (same settings, same artifact): found in the store, not rerun.
    assert.deepEqual(
      started.map((n) => n.replace(/^bravo-[0-9a-f]+-/, '')),
      ['r0-a1', 'r1-a1', 'r2-a1'],
    );
  } finally {
    await stopController(controller);
  }
});

test('a record the store shows late (NFS) is waited for: nothing fails, nothing runs twice', async () => {
  kubeletOptions.storeVisibility = { root: storeRoot, delayMs: 2500 };
  const controller = startController('solo');
  try {
    await submit('hotel', campaignYaml('hotel', [10]));
    const jobs = () => api.list('jobs', 'lth').filter((j) => j.metadata.labels?.['lth.dev/campaign'] === 'hotel');
    let sawLateRecord = false;
    const phases = new Set<string>();
    await waitFor('hotel to succeed', () => {
      const status = statusOf('hotel');
      phases.add(status?.phase ?? 'none');
      const done = status?.experiments?.[0]?.roundsDone ?? 0;
      const complete = jobs().filter((j) => (j['status'] as { succeeded?: number } | undefined)?.succeeded === 1);
      if (complete.some((j) => Number(j.metadata.labels?.['lth.dev/round']) >= done)) sawLateRecord = true;
      return status?.phase === 'Succeeded';
    });
    assert.ok(sawLateRecord, 'no Job was ever complete ahead of its record: the knob did nothing');
    assert.ok(!phases.has('Failed'), `phases seen: ${[...phases].join(', ')}`);
    const started = kubelet.started.filter((n) => n.startsWith('hotel-'));
    assert.deepEqual(
      started.map((n) => n.replace(/^hotel-[0-9a-f]+-/, '')),
      ['r0-a1', 'r1-a1', 'r2-a1'],
    );
    // Each pod's termination message names its task and the record's digest, as the store has it.
    const store = new ArtifactStore(storeRoot);
    const id = statusOf('hotel')!.experiments[0]!.id;
    for (const pod of api.list('pods', 'lth').filter((p) => p.metadata.labels?.['lth.dev/campaign'] === 'hotel')) {
      const terminated = (pod['status'] as { containerStatuses: { state: { terminated: { message: string } } }[] })
        .containerStatuses[0]!.state.terminated;
      const round = Number(pod.metadata.labels?.['lth.dev/round']);
      assert.deepEqual(JSON.parse(terminated.message), {
        task: `round/${id}/${round}`,
        record: await store.getRef(refs.round(id, round)),
      });
    }
  } finally {
    delete kubeletOptions.storeVisibility;
    await stopController(controller);
  }
});

test('a failing round is retried to the limit, then fails its experiment; the others finish', async () => {
  const controller = startController('solo');
  try {
    await submit('charlie', campaignYaml('charlie', [3, 4]));
    const first = await waitFor(
      'experiments listed',
      () => statusOf('charlie')?.experiments?.length === 2 && statusOf('charlie'),
    );
    const doomed = first.experiments.find((e) => e.seed === 4)!;
    failRounds.add(`${doomed.id}:1`);
    const status = await waitFor('charlie to finish', () =>
      statusOf('charlie')?.phase === 'Failed' ? statusOf('charlie') : undefined,
    );
    const byId = new Map(status.experiments.map((e) => [e.id, e]));
    assert.equal(byId.get(doomed.id)!.state, 'Failed');
    assert.match(byId.get(doomed.id)!.message, /round 1 failed: BackoffLimitExceeded/);
    assert.ok(status.experiments.filter((e) => e.id !== doomed.id).every((e) => e.state === 'Succeeded'));
    const attempts = api
      .list('jobs', 'lth')
      .filter(
        (j) => j.metadata.labels?.['lth.dev/experiment'] === doomed.id && j.metadata.labels?.['lth.dev/round'] === '1',
      );
    assert.deepEqual(
      attempts.map((j) => j.metadata.labels?.['lth.dev/attempt']).sort(),
      ['1', '2'],
      'attempts: 2, a Job each',
    );
    assert.equal(
      kubelet.started.filter((n) => attempts.some((j) => j.metadata.name === n)).length,
      2,
      'one pod per attempt',
    );
    const conditions = Object.fromEntries(status.conditions.map((c) => [c.type, c.status]));
    assert.equal(conditions['Degraded'], 'True');
    assert.equal(conditions['Failed'], 'True');
    assert.ok(api.list('events', 'lth').some((e) => e['reason'] === 'RoundFailed'));
    assert.deepEqual(
      status.failedTasks.map((f) => [f.task, f.attempts]),
      [[`round/${doomed.id}/1`, 2]],
    );

    // The failed Jobs' TTL runs out: the failure is remembered, the round does not run again.
    for (const j of attempts) api.remove('jobs', 'lth', j.metadata.name);
    await new Promise((r) => setTimeout(r, 1500));
    const ran = () => kubelet.started.filter((n) => n.startsWith('charlie-')).length;
    const before = ran();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(ran(), before, 'a failed round ran again after its Jobs were deleted');
    assert.equal(statusOf('charlie')?.phase, 'Failed');

    // Asked explicitly, it runs again (and now succeeds).
    failRounds.delete(`${doomed.id}:1`);
    const retried = await cli(['retry', 'charlie', '--namespace', 'lth']);
    assert.equal(retried.status, 0, retried.stderr);
    assert.match(retried.stdout, /retrying 1 failed task/);
    const after = await waitFor('charlie to succeed after the retry', () =>
      statusOf('charlie')?.phase === 'Succeeded' ? statusOf('charlie') : undefined,
    );
    assert.deepEqual(after.failedTasks, []);
  } finally {
    await stopController(controller);
  }
});

async function metric(port: number, name: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** The sum of a metric's series whose labels include `having` (e.g. `phase="Succeeded"`). */
async function metricSum(port: number, name: string, having = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(having))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

test('a changed spec deletes the running Jobs of the experiments it dropped, and the rest finishes', async () => {
  const controller = startController('solo');
  try {
    await submit('golf', campaignYaml('golf', [8, 9]));
    const listed = await waitFor('golf listed', () => statusOf('golf')?.experiments?.length === 2 && statusOf('golf'));
    const dropped = listed.experiments.find((e) => e.seed === 9)!;
    holdRounds.add(`${dropped.id}:0`);
    const held = () => api.list('jobs', 'lth').find((j) => j.metadata.labels?.['lth.dev/experiment'] === dropped.id);
    await waitFor('the held Job', () => held());
    const campaign = api.get('campaigns', 'lth', 'golf')!;
    api.update('campaigns', 'lth', { ...campaign, spec: { ...(campaign.spec as object), seeds: [8] } });
    await waitFor("the dropped experiment's Job to go", () => !held());
    assert.ok(api.list('events', 'lth').some((e) => e['reason'] === 'JobDeleted'));
    const done = await waitFor('golf to succeed', () =>
      statusOf('golf')?.phase === 'Succeeded' ? statusOf('golf') : undefined,
    );
    assert.deepEqual(
      done.experiments.map((e) => e.seed),
      [8],
    );
  } finally {
    holdRounds.clear();
    await stopController(controller);
  }
});

test('with two controller replicas only the Lease holder creates Jobs', async () => {
  const [portA, portB] = [await freePort(), await freePort()];
  const a = startController('replica-a', portA);
  const b = startController('replica-b', portB);
  try {
    await submit('delta', campaignYaml('delta', [5]));
    await waitFor('delta to succeed', () => statusOf('delta')?.phase === 'Succeeded');
    const holder = api.get('leases', 'lth', 'lth-controller')!['spec'] as { holderIdentity: string };
    const creators = new Set(
      api
        .list('jobs', 'lth')
        .filter((j) => j.metadata.labels?.['lth.dev/campaign'] === 'delta')
        .map((j) => j.metadata.annotations?.['lth.dev/created-by']),
    );
    assert.deepEqual([...creators], [holder.holderIdentity]);
    // Their metrics agree: one leader, and only it reconciles and creates Jobs.
    const [leaderA, leaderB] = [await metric(portA, 'lth_leader'), await metric(portB, 'lth_leader')];
    assert.deepEqual([leaderA, leaderB].sort(), [0, 1]);
    const leaderPort = leaderA === 1 ? portA : portB;
    const followerPort = leaderA === 1 ? portB : portA;
    assert.ok((await metric(leaderPort, 'lth_jobs_created_total'))! >= 3);
    assert.equal(await metric(followerPort, 'lth_jobs_created_total'), 0);
    assert.ok((await metric(leaderPort, 'lth_reconcile_total'))! > 0);
    // Campaign gauges come from the leader only, so a sum over replicas counts each campaign once.
    const campaigns = api.list('campaigns', 'lth').length;
    assert.equal(await metricSum(leaderPort, 'lth_campaigns'), campaigns);
    assert.ok((await metricSum(leaderPort, 'lth_experiments', 'state="Succeeded"')) >= 1);
    assert.equal(await metricSum(followerPort, 'lth_campaigns'), 0);
    assert.equal(await metricSum(followerPort, 'lth_experiments'), 0);
  } finally {
    await Promise.all([stopController(a), stopController(b)]);
  }
});

/**
 * A campaign the CRD's OpenAPI schema lets through but the controller refuses: rounds and
 * targetSparsity together.
 */
function createRefusedCampaign(name: string): void {
  const spec = {
    name,
    models: ['lenet-300-100'],
    pretrainings: [{ name: 'p', kind: 'none' }],
    tasks: ['mnist'],
    imp: { rounds: 2, targetSparsity: 0.5 },
  };
  api.create('campaigns', 'lth', { metadata: { name }, spec } as never);
}

// A real API server refuses this spec already (the CRD's CEL rule, which the fake does not
// evaluate); the controller's own check still holds for CRDs older than the controller.
test('a custom resource past the schema is refused by the controller, a condition naming the field', async () => {
  const port = await freePort();
  const controller = startController('solo', port);
  try {
    createRefusedCampaign('echo');
    const status = await waitFor('echo to be refused', () =>
      statusOf('echo')?.phase === 'Invalid' ? statusOf('echo') : undefined,
    );
    const failed = status.conditions.find((c) => c.type === 'Failed')!;
    assert.equal(failed.reason, 'InvalidSpec');
    assert.match(failed.message, /spec\.imp: give rounds or targetSparsity, not both/);
    assert.equal(api.list('jobs', 'lth').filter((j) => j.metadata.labels?.['lth.dev/campaign'] === 'echo').length, 0);
    // Deleting a campaign deletes its Jobs (owner references).
    const alphaJobs = () =>
      api.list('jobs', 'lth').filter((j) => j.metadata.labels?.['lth.dev/campaign'] === 'alpha').length;
    assert.ok(alphaJobs() > 0);
    assert.equal(await metricSum(port, 'lth_campaigns', 'phase="Invalid"'), 1);
    const succeeded = await metricSum(port, 'lth_campaigns', 'phase="Succeeded"');
    api.remove('campaigns', 'lth', 'alpha');
    await waitFor("the garbage collector to delete alpha's Jobs", () => alphaJobs() === 0);
    // A deleted campaign leaves the gauges with the next scrape after its watch event.
    await waitFor(
      'alpha to leave the gauges',
      async () => (await metricSum(port, 'lth_campaigns', 'phase="Succeeded"')) === succeeded - 1,
    );
  } finally {
    await stopController(controller);
  }
});

test('the API server prunes unknown fields and refuses a spec its CRD schema does not allow, naming the field', () => {
  const campaign = (spec: Record<string, unknown>) =>
    ({ metadata: { name: 'juliet' }, spec: { name: 'juliet', models: ['lenet-300-100'], ...spec } }) as never;
  assert.throws(
    () =>
      api.create(
        'campaigns',
        'lth',
        campaign({ tasks: ['mnist'], seeds: [-1], pretrainings: [{ name: 'p', kind: 'none' }] }),
      ),
    /Campaign\.lth\.dev "juliet" is invalid: spec\.seeds\.0: Invalid value: must be >= 0/,
  );
  assert.equal(api.get('campaigns', 'lth', 'juliet'), undefined, 'nothing half-written');
  const stored = api.create(
    'campaigns',
    'lth',
    campaign({ tasks: ['mnist'], bogus: 1, pretrainings: [{ name: 'p', kind: 'none' }] }),
  );
  assert.ok(!('bogus' in (stored.spec as object)), 'an unknown field is pruned');
  api.remove('campaigns', 'lth', 'juliet');
});

test('a controller whose watch history expired (410 Gone) lists again and carries on', async () => {
  const controller = startController('solo');
  try {
    // Its informers have listed and are watching (no other process watches this API server).
    await waitFor('the controller to watch', () => api.watching('campaigns') > 0 && api.watching('jobs') > 0);
    const gone = api.expiredWatches();
    // The watches end, and more happens than the history keeps before they resume.
    let flood = 0;
    await waitFor('both watches to be refused with 410', async () => {
      api.dropWatches();
      for (let i = 0; i < 400; i++) {
        api.create('events', 'lth', { metadata: { name: `flood-${flood++}` }, reason: 'Flood', message: '' } as never);
      }
      await new Promise((r) => setTimeout(r, 500));
      return api.expiredWatches() >= gone + 2;
    });
    createRefusedCampaign('kilo');
    await waitFor('kilo to be seen (and refused) after the relist', () => statusOf('kilo')?.phase === 'Invalid');
  } finally {
    await stopController(controller);
  }
});

test('the Role grants exactly what the controller used in these tests, and nothing else', () => {
  const grants = new Set(
    controllerRole().rules.flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`))),
    ),
  );
  const used = api.used.get(CONTROLLER_TOKEN) ?? new Set<string>();
  // Not an API call: setting blockOwnerDeletion on a Job's owner reference needs update on the
  // owner's finalizers (the OwnerReferencesPermissionEnforcement admission plugin).
  const admission = ['lth.dev/campaigns/finalizers:update'];
  const unused = [...grants].filter((g) => !used.has(g) && !admission.includes(g)).sort();
  assert.deepEqual(unused, [], 'granted, never used');
  assert.deepEqual(
    [...used].filter((u) => !grants.has(u)).sort(),
    [],
    'used without a grant (a 403 in a real cluster)',
  );
});

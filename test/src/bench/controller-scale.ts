/**
 * `npm run bench:controller [-- --campaigns N --experiments M --rounds R --job-seconds S --global-limit L]`:
 * the real controller process against the in-test API server, with a simulated kubelet that
 * completes each task Job after a random time (uniform within 50-150% of S seconds, seeded) by writing
 * the record the driver would write. At most L Jobs run at once, so Jobs finish at about L/S a second
 * once the cluster is full. One JSON line per measurement:
 *  - reconcile_seconds_p50 / _p99 (from the controller's histogram);
 *  - api_writes_per_round: the controller's POST/PUT/PATCH/DELETE requests per finished round;
 *  - controller_rss_megabytes: the highest resident set seen while the campaigns ran;
 *  - job_finished_to_next_created_seconds_p50 / _p99: from a Job completing (a slot freed while a
 *    task is ready for it: its inputs are in the store and it has no Job) to the next Job created
 *    (the slot used again), in order.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { RoundRecord, PretrainingRecord } from '@lth/driver';
import { refs } from '@lth/driver';
import { ArtifactStore } from '@lth/store';
import { PROGRAMS, argv, freePort } from '../integration/harness';
import { kubeconfigFor, startFakeApiServer } from '../kube/fake-apiserver';

const CRD = join(__dirname, '../../../k8s/base/crd.yaml');
const CONTROLLER = join(__dirname, '../../../k8s/base/controller.yaml');

/** The Node options the controller's Deployment sets (NODE_OPTIONS): the bench runs it as deployed. */
async function deployedNodeOptions(): Promise<string[]> {
  const deployment = parseYaml(await readFile(CONTROLLER, 'utf8')) as {
    spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
  };
  const env = deployment.spec.template.spec.containers[0]!.env ?? [];
  const value = env.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
  return value.split(/\s+/).filter(Boolean);
}

type JobObject = {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; uid: string };
  status?: Record<string, unknown>;
};

function emit(record: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ ...record, node: process.version, at: new Date().toISOString() }) + '\n');
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};

/** Quantile from a Prometheus histogram's cumulative buckets (the upper bound of its bucket). */
function histogramQuantile(text: string, name: string, q: number): number {
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{[^}]*le="([^"]+)"[^}]*\\} (\\S+)`, 'gm'))].map(
    (m) => [Number(m[1] === '+Inf' ? Infinity : m[1]), Number(m[2])] as const,
  );
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  return buckets.find(([, count]) => count >= q * total)?.[0] ?? NaN;
}

/** Writes counted by method and the kind of object (`POST jobs`, `PUT status`), for the line's breakdown. */
function writesByKind(writes: readonly { method: string; path: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { method, path } of writes) {
    const parts = path.split('/');
    const kind = parts[parts.length - 1] === 'status' ? 'status' : parts[parts.indexOf('namespaces') + 2];
    const key = `${method} ${kind}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      campaigns: { type: 'string', default: '200' },
      experiments: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '1' },
      'job-seconds': { type: 'string', default: '5' },
      'global-limit': { type: 'string', default: '1000' },
      /** Write a CPU profile of the controller (a .cpuprofile for Chrome's DevTools) here. */
      profile: { type: 'string' },
    },
  });
  const campaigns = Number(values.campaigns);
  const experiments = Number(values.experiments);
  const rounds = Number(values.rounds);
  const jobSeconds = Number(values['job-seconds']);
  const globalLimit = Number(values['global-limit']);
  // Every round Job, and each campaign's pre-training Job (the first to run makes it; the others find it).
  const total = campaigns * (experiments * (rounds + 1) + 1);
  const dir = await mkdtemp(join(tmpdir(), 'lth-bench-controller-'));
  const store = new ArtifactStore(join(dir, 'store'));
  const api = await startFakeApiServer({ crds: [parseYaml(await readFile(CRD, 'utf8'))] });
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, kubeconfigFor(api.url));
  const metricsPort = await freePort();
  const services = { data: 'd:1', pruning: 'p:1', finetune: 'f:1', evaluation: 'e:1' };
  const profile = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
  const nodeOptions = await deployedNodeOptions();
  const controller = spawn(
    process.execPath,
    [
      ...nodeOptions,
      ...profile,
      ...argv(PROGRAMS.controller, [
        ...['--namespace', 'lth', '--store', store.root, '--parallelism', '50', '--global-limit', String(globalLimit)],
        ...['--identity', 'bench', '--metrics', `127.0.0.1:${metricsPort}`],
        ...['--job-defaults', JSON.stringify({ services, image: 'lth:bench' })],
      ]),
    ],
    { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'ignore', 'inherit'] },
  );

  // The simulated kubelet: each new Job's task finishes after a while, with the record the driver writes.
  const gaps: number[] = [];
  /** When slots were freed while a task was ready for them: each new Job takes the oldest. */
  const freed: number[] = [];
  let jobsCreated = 0;
  /** Tasks whose inputs exist (a campaign's pre-training; a round whose round before finished), Job or not. */
  let madeReady = campaigns;
  let roundsFinished = 0;
  const seen = new Set<string>();
  let random = 42;
  const duration = () => {
    random = (random * 1103515245 + 12345) % 2 ** 31;
    return jobSeconds * (0.5 + random / 2 ** 31) * 1000;
  };
  const complete = async (job: JobObject) => {
    const labels = job.metadata.labels ?? {};
    const experiment = labels['lth.dev/experiment'];
    const round = Number(labels['lth.dev/round']);
    if (experiment) {
      const record: Partial<RoundRecord> = {
        experimentId: experiment,
        round,
        sparsity: 1 - 0.8 ** round,
        testAccuracy: 0.9,
        backend: 'bench',
      };
      await store.setRef(refs.round(experiment, round), await store.putJson(record));
      roundsFinished++;
    } else {
      const record: PretrainingRecord = {
        pretrainingId: labels['lth.dev/pretraining']!,
        weightsDigest: '',
        trainSeconds: 0,
        testAccuracy: null,
        backend: 'bench',
      };
      await store.setRef(refs.pretraining(record.pretrainingId), await store.putJson(record));
    }
    const now = new Date().toISOString();
    const current = api.get('jobs', 'lth', job.metadata.name) as unknown as JobObject;
    const conditions = [{ type: 'Complete', status: 'True', reason: 'Completed', message: '' }];
    const status = { succeeded: 1, startTime: now, completionTime: now, conditions };
    api.update('jobs', 'lth', {
      ...current,
      status,
      metadata: { ...current.metadata, resourceVersion: undefined },
    } as never);
    madeReady += experiment ? (round < rounds ? 1 : 0) : experiments;
    // A freed slot is timed only while a task is ready to take it: at the end, slots free while
    // the last rounds wait for the rounds before them, which no controller can start sooner.
    if (freed.length < madeReady - jobsCreated) freed.push(performance.now());
  };
  api.onChange('jobs', (type, job) => {
    const j = job as unknown as JobObject;
    if (type !== 'ADDED' || seen.has(j.metadata.uid)) return;
    seen.add(j.metadata.uid);
    jobsCreated++;
    const slot = freed.shift();
    if (slot !== undefined) gaps.push((performance.now() - slot) / 1000);
    setTimeout(() => void complete(j), duration());
  });

  const started = performance.now();
  let rss = 0;
  let heap = 0;
  const sample = async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    rss = Math.max(rss, Number(/^process_resident_memory_bytes(?:\{[^}]*\})? (\S+)/m.exec(text)?.[1] ?? 0));
    heap = Math.max(heap, Number(/^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)/m.exec(text)?.[1] ?? 0));
    return text;
  };
  try {
    while (!(await fetch(`http://127.0.0.1:${metricsPort}/metrics`).catch(() => undefined)))
      await new Promise((r) => setTimeout(r, 100));
    for (let c = 0; c < campaigns; c++) {
      const name = `bench-${c}`;
      // Distinct seeds: experiments are identified by their settings, so equal ones would be shared.
      const seeds = Array.from({ length: experiments }, (_, i) => c * experiments + i);
      const spec = {
        name,
        models: ['lenet-300-100'],
        pretrainings: [{ name: 'p', kind: 'none' }],
        tasks: ['mnist'],
        seeds,
        imp: { rounds },
      };
      api.create('campaigns', 'lth', { metadata: { name }, spec } as never);
    }
    while (roundsFinished < campaigns * experiments * (rounds + 1)) {
      await sample();
      if (process.env['LTH_BENCH_DEBUG']) {
        const jobs = api.list('jobs', 'lth').length;
        const phases = api
          .list('campaigns', 'lth')
          .map((c) => (c.status as { phase?: string } | undefined)?.phase ?? '-');
        process.stderr.write(
          `rounds ${roundsFinished}/${total}, jobs ${jobs}, phases ${[...new Set(phases)].join(',')}\n`,
        );
      }
      if (performance.now() - started > 30 * 60_000)
        throw new Error(`only ${roundsFinished}/${total} rounds in 30 min`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const seconds = (performance.now() - started) / 1000;
    const text = await sample();
    const writes = api.requests.filter(
      (r) => r.method !== 'GET' && !r.path.includes('/leases/') && !r.path.endsWith('/leases'),
    );
    const shape = { campaigns, experiments, rounds: rounds + 1, jobs: total, jobSeconds, globalLimit };
    emit({ bench: 'controller_rounds_per_second', ...shape, value: total / seconds, seconds });
    emit({
      bench: 'reconcile_seconds_p50',
      ...shape,
      value: histogramQuantile(text, 'lth_reconcile_duration_seconds', 0.5),
      note: 'bucket upper bound',
    });
    emit({
      bench: 'reconcile_seconds_p99',
      ...shape,
      value: histogramQuantile(text, 'lth_reconcile_duration_seconds', 0.99),
      note: 'bucket upper bound',
    });
    const byKind = writesByKind(writes);
    const conflicts = writes.filter((w) => w.status === 409).length;
    emit({ bench: 'api_writes_per_round', ...shape, value: writes.length / total, goal: 3, byKind, conflicts });
    emit({
      bench: 'controller_rss_megabytes',
      ...shape,
      value: rss / 1e6,
      goal: 256,
      nodeOptions: nodeOptions.join(' '),
    });
    emit({ bench: 'controller_heap_used_megabytes', ...shape, value: heap / 1e6 });
    emit({ bench: 'job_finished_to_next_created_seconds_p50', ...shape, value: quantile(gaps, 0.5) });
    emit({ bench: 'job_finished_to_next_created_seconds_p99', ...shape, value: quantile(gaps, 0.99), goal: 1 });
  } finally {
    controller.kill('SIGTERM');
    await new Promise((r) => controller.once('exit', r));
    await api.close();
    // The store holds a record per round: about 270 MB a run, left in /tmp it fills a disk.
    await rm(dir, { recursive: true, force: true });
  }
}

void main().catch((e: Error) => {
  process.stderr.write(`bench:controller: ${e.message}\n`);
  process.exit(1);
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { winningSparsity, type ScoredRound } from '@lth/core';
import { CACHE_DIR, CLI, freePort, tempDir, TINY_CAMPAIGN } from '../integration/harness';
import { sparsityRange } from '@lth/metrics';

type CampaignResultsJson = { experiments: { rounds: ScoredRound[] }[] };

const ROOT = resolve(__dirname, '../../..');
let dir: string;
let run: ChildProcess;
let prometheus: ChildProcess;
let promUrl: string;
const targets: { job: string; address: string }[] = [];

async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  assert.equal(body.status, 'success', `${expr}: ${body.error}`);
  return body.data.result;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

before(async () => {
  dir = await tempDir('monitoring');
  await writeFile(join(dir, 'tiny.yaml'), TINY_CAMPAIGN);
  // The campaign keeps its processes (and metrics) up for a while after it ends: Prometheus
  // scrapes the finished state.
  run = spawn(
    process.execPath,
    [
      CLI,
      'run',
      join(dir, 'tiny.yaml'),
      '--store',
      join(dir, 'store'),
      '--out',
      join(dir, 'out'),
      '--metrics-port',
      '0',
      '--metrics-linger',
      '60',
    ],
    {
      env: { ...process.env, LTH_CACHE: CACHE_DIR },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  run.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  run.stderr!.on('data', () => undefined);
  await waitFor('the metrics addresses', async () => out.includes('campaign metrics:'), 60_000);
  for (const m of out.matchAll(
    /(data|pruning|evaluation|finetune-\d+) 127\.0\.0\.1:\d+ \(metrics (127\.0\.0\.1:\d+)\)/g,
  ))
    targets.push({ job: `lth-${m[1]!.replace(/-\d+$/, '')}`, address: m[2]! });
  targets.push({ job: 'lth-controller', address: /campaign metrics: http:\/\/([0-9.:]+)\/metrics/.exec(out)![1]! });
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  const byJob = new Map<string, string[]>();
  for (const t of targets) byJob.set(t.job, [...(byJob.get(t.job) ?? []), t.address]);
  await writeFile(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      scrape_configs: [...byJob].map(([job, addresses]) => ({
        job_name: job,
        static_configs: [{ targets: addresses }],
      })),
    }),
  );
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  await waitFor('prometheus', async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok);
  await waitFor('the campaign to finish', async () => out.includes('keeping metrics up'), 180_000);
  // Rates and increases need two samples: wait for three scrapes of every target, however fast the
  // campaign was (on native TensorFlow it can end before Prometheus first scrapes).
  await waitFor('three scrapes of every target', async () => {
    const fewest = await query('min(count_over_time(up[10m]))');
    return Number(fewest[0]?.value[1] ?? 0) >= 3;
  });
});

after(async () => {
  run?.kill('SIGTERM');
  prometheus?.kill('SIGTERM');
  await Promise.all(
    [run, prometheus].map((p) => (p && p.exitCode === null ? new Promise((r) => p.once('exit', r)) : undefined)),
  );
});

test('Prometheus scrapes every process: up is 1 for each target', async () => {
  // data, pruning, evaluation, 2 fine-tuning replicas, the campaign's own
  assert.equal(targets.length, 6, JSON.stringify(targets));
  const up = await query('up');
  assert.equal(up.length, targets.length);
  for (const s of up) assert.equal(s.value[1], '1', `${s.metric['job']} ${s.metric['instance']} is down`);
});

test('promtool check metrics passes on every /metrics', async () => {
  for (const t of targets) {
    const text = await (await fetch(`http://${t.address}/metrics`)).text();
    assert.match(text, /^lth_/m);
    const res = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(res.status, 0, `${t.job}: ${res.stdout}${res.stderr}`);
  }
});

test('every panel query of the Grafana dashboard returns data once the campaign has finished', async () => {
  const dashboard = JSON.parse(await readFile(join(ROOT, 'k8s/monitoring/lth-dashboard.json'), 'utf8')) as {
    uid: string;
    templating: { list: { name: string }[] };
    panels: { type: string; title: string; datasource: { uid: string }; targets: { expr: string }[] }[];
  };
  assert.ok(dashboard.uid);
  assert.deepEqual(
    dashboard.templating.list.map((v) => v.name),
    ['datasource', 'namespace'],
  );
  // The one text panel points at what metrics cannot carry: the per-campaign report.
  const text = dashboard.panels.filter((p) => p.type === 'text') as unknown as { options: { content: string } }[];
  assert.equal(text.length, 1);
  assert.match(text[0]!.options.content, /lth report runs\/NAME/);
  for (const panel of dashboard.panels.filter((p) => p.type !== 'text')) {
    assert.ok(panel.datasource?.uid, `${panel.title} has no datasource`);
    for (const t of panel.targets) {
      const result = await query(t.expr.replaceAll('$namespace', '.*'));
      assert.ok(result.length > 0, `panel "${panel.title}": ${t.expr} returned nothing`);
    }
  }
  // The campaign's own numbers, as the campaign gauges report them once it has finished.
  const results = JSON.parse(await readFile(join(dir, 'out', 'results.json'), 'utf8')) as CampaignResultsJson;
  const matching = results.experiments.filter((e) => winningSparsity(e.rounds) !== null).length;
  const scalar = async (expr: string) => Number((await query(expr))[0]?.value[1]);
  assert.equal(await scalar('lth_experiments{state="Succeeded"}'), results.experiments.length);
  assert.equal(await scalar('lth_experiments{state="Running"}'), 0);
  assert.equal(await scalar('lth_campaigns{phase="Succeeded"}'), 1);
  assert.equal(await scalar('lth_experiments_matching'), matching);
  const rounds = results.experiments.reduce((n, e) => n + e.rounds.length, 0);
  assert.equal(await scalar('lth_rounds_succeeded_total'), rounds);
  // The science panels' series: every experiment at its last round's sparsity, every round's accuracy.
  const last = results.experiments[0]!.rounds.at(-1)!.sparsity;
  const range = sparsityRange(last);
  assert.equal(await scalar(`lth_experiments_by_sparsity{range="${range}"}`), results.experiments.length);
  assert.equal(await scalar('lth_round_test_accuracy_ratio_count'), rounds);
  const below = results.experiments.flatMap((e) => e.rounds).filter((r) => r.testAccuracy! <= 0.9).length;
  assert.equal(await scalar('lth_round_test_accuracy_ratio_bucket{le="0.9"}'), below);
  // Every stream's first batch is a round trip, so training waited for data at least a little;
  // with gRPC prefetching the rest, far less than it trained.
  const stepSeconds = await scalar('sum(lth_finetune_step_seconds_total)');
  const waitSeconds = await scalar('sum(lth_finetune_data_wait_seconds_total)');
  assert.ok(stepSeconds > 0, `step seconds ${stepSeconds}`);
  assert.ok(waitSeconds > 0 && waitSeconds < stepSeconds, `waited ${waitSeconds} s for data, trained ${stepSeconds} s`);
});

test('promtool checks the alerting rules; their unit tests fire on bad series, not on healthy ones', async () => {
  const rule = parseYaml(await readFile(join(ROOT, 'k8s/monitoring/prometheus-rule.yaml'), 'utf8')) as {
    spec: { groups: unknown[] };
  };
  await writeFile(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
  await copyFile(join(ROOT, 'k8s/monitoring/alerts-test.yaml'), join(dir, 'alerts-test.yaml'));
  const check = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.yaml')], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /SUCCESS: 7 rules found/);
  const unit = spawnSync('promtool', ['test', 'rules', 'alerts-test.yaml'], { cwd: dir, encoding: 'utf8' });
  assert.equal(unit.status, 0, unit.stdout + unit.stderr);
  // The rules' queries are valid against live data too.
  for (const group of rule.spec.groups as { rules: { expr: string }[] }[])
    for (const r of group.rules) await query(r.expr);
});

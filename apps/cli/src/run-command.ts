import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { expandCampaign, InvalidArgumentError, lastRound, type ServiceAddresses } from '@lth/core';
import {
  ChildProcessExecutor,
  LocalCampaignView,
  observeCampaign,
  runCampaign,
  startLocalServices,
  type CampaignEvent,
  type LocalServices,
} from '@lth/local';
import { CampaignMetrics, startMetricsServer, type MetricsServer } from '@lth/metrics';
import { ArtifactStore, defaultStoreRoot, sweepTemporaryFiles, writeFileAtomically } from '@lth/store';
import { writeRunReport } from './report-command';
import { loadCampaign } from './campaign-file';
import { localPrograms } from './programs';
import { ProgressView } from './progress-view';
import { formatResults } from './results-table';
import { campaignShape } from './campaign-shape';
import { writeResultsFiles } from './results-files';

export interface RunFlags {
  out?: string;
  store?: string;
  parallelism?: string;
  data?: string;
  pruning?: string;
  finetune?: string;
  evaluation?: string;
  attempts?: number;
  quiet?: boolean;
  /** Serve the controller's metrics on 127.0.0.1:PORT (and the services' on ephemeral ports). */
  metricsPort?: string;
  /** Keep services and metrics up this long after the campaign ends (for a last scrape). */
  metricsLinger?: string;
}

/**
 * `lth run`: starts the services on 127.0.0.1 (or uses the given addresses), runs the
 * campaign through the local executor, prints progress and the results table, and writes
 * results.json and results.csv, then the analysis and the report (whose path it prints last). Returns the
 * exit code.
 */
export async function runCommand(file: string, flags: RunFlags): Promise<number> {
  const spec = await loadCampaign(file);
  const experiments = expandCampaign(spec);
  const storeRoot = resolve(flags.store ?? defaultStoreRoot());
  const store = new ArtifactStore(storeRoot);
  const outDir = resolve(flags.out ?? join('runs', spec.name));
  const parallelism = Number(flags.parallelism ?? 0) || spec.parallelism || availableParallelism();
  const programs = localPrograms();
  const log = (text: string) => {
    if (!flags.quiet) process.stdout.write(text + '\n');
  };

  // Warnings reach the user even with --quiet, above the progress bars when they are drawn.
  const shown: { view?: ProgressView } = {};
  const notice = (text: string) => (shown.view ? shown.view.notice(text) : process.stderr.write(text + '\n'));

  let services: LocalServices | undefined;
  let replicas: ServiceAddresses[];
  const given = [flags.data, flags.pruning, flags.finetune, flags.evaluation];
  if (given.some(Boolean)) {
    if (!given.every(Boolean))
      throw new InvalidArgumentError('give all of --data, --pruning, --finetune and --evaluation, or none');
    replicas = flags
      .finetune!.split(',')
      .map((finetune) => ({ data: flags.data!, pruning: flags.pruning!, evaluation: flags.evaluation!, finetune }));
  } else {
    const finetuneReplicas = Math.max(1, Math.min(parallelism, experiments.length));
    log(
      `starting services on 127.0.0.1 (${finetuneReplicas} fine-tuning replica${finetuneReplicas > 1 ? 's' : ''}) ...`,
    );
    services = await startLocalServices({
      programs,
      storeRoot,
      finetuneReplicas,
      metrics: flags.metricsPort !== undefined,
      // The campaign's own `datasets:` section is the data service's list of datasets in files.
      dataFlags: spec.datasets.length > 0 ? ['--datasets', resolve(file)] : [],
      onRestart: (r) =>
        notice(
          `warning: the ${r.service} service exited (${r.exit}); starting it again on ${r.address} in ` +
            `${(r.delayMs / 1000).toFixed(0)} s (exit ${r.crashes} in a row)`,
        ),
    });
    replicas = services.replicas;
    const listed = services.processes.map((p) => `${p.name} ${p.address}${p.metrics ? ` (metrics ${p.metrics})` : ''}`);
    log(`services: ${listed.join(', ')}; TF.js backend: ${services.backend}`);
  }

  let metricsServer: MetricsServer | undefined;
  const campaignView = new LocalCampaignView(experiments);
  const metrics =
    flags.metricsPort !== undefined ? new CampaignMetrics({ campaigns: () => [campaignView] }) : undefined;
  const observers: ((e: CampaignEvent) => void)[] = [];
  if (metrics) {
    metricsServer = await startMetricsServer(metrics.registry, `127.0.0.1:${Number(flags.metricsPort)}`);
    observers.push(observeCampaign(metrics, campaignView, lastRound(spec)));
    log(`campaign metrics: http://${metricsServer.address}/metrics`);
  }

  // Writers killed between write and rename (lth run under SIGKILL, say) leave their temporary files.
  const swept =
    (await sweepTemporaryFiles(storeRoot, { recursive: true })) +
    (await sweepTemporaryFiles(outDir, { recursive: false }));
  if (swept > 0) log(`removed ${swept} temporary file(s) that killed writers left behind`);

  const view = flags.quiet ? undefined : new ProgressView(experiments, lastRound(spec));
  shown.view = view;
  if (view) observers.push((e) => view.handle(e));
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    log(`campaign ${spec.name}: ${campaignShape(spec)}, ${parallelism} at a time; store ${storeRoot}`);
    const outcome = await runCampaign(spec, {
      executor: new ChildProcessExecutor(programs.driver, storeRoot),
      store,
      replicas,
      parallelism,
      maxAttempts: flags.attempts,
      onEvent: (e) => observers.forEach((observe) => observe(e)),
      signal: stop.signal,
    });
    view?.stop();
    const results = {
      ...outcome.results,
      backend: outcome.results.backend === 'unknown' && services ? services.backend : outcome.results.backend,
    };
    const written = await writeResultsFiles(outDir, results);
    // The campaign beside its results: `lth analyze` evaluates the tickets as the campaign did.
    await writeFileAtomically(join(outDir, 'campaign.yaml'), await readFile(file));
    log('');
    log(formatResults(results));
    log(`\nwrote ${join(outDir, written[0]!)} and ${written.slice(1).join(', ')}`);
    for (const f of outcome.failed) process.stderr.write(`experiment ${f.experiment.id} failed: ${f.error}\n`);
    if (!stop.signal.aborted) {
      // The services are still up: the report's perturbation probe uses this run's evaluation service.
      const evaluation = flags.evaluation ?? services?.replicas[0]?.evaluation;
      try {
        const report = await writeRunReport(outDir, { store: storeRoot, quiet: flags.quiet }, evaluation);
        process.stdout.write(`report: ${report}\n`);
      } catch (e) {
        notice(`warning: no report: ${(e as Error).message}`);
      }
    }
    campaignView.phase = outcome.failed.length > 0 ? 'Failed' : 'Succeeded';
    const linger = Number(flags.metricsLinger ?? 0);
    if (linger > 0 && !stop.signal.aborted) {
      log(`keeping metrics up for ${linger} s`);
      await new Promise((r) => setTimeout(r, linger * 1000));
    }
    if (stop.signal.aborted) return 130;
    return outcome.failed.length > 0 ? 1 : 0;
  } finally {
    view?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await services?.stop();
    await metricsServer?.close();
  }
}

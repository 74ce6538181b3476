import { join } from 'node:path';
import { InvalidArgumentError, quote } from '@lth/core';
import { DatasetRegistry, fileDataset, readDatasetSources } from '@lth/datasets';
import { ArtifactStore, defaultStoreRoot } from '@lth/store';
import { initBackend, parseBackendChoice } from '@lth/tensor';
import {
  checkHealth,
  createLogger,
  dataClient,
  openChannel,
  startServer,
  type Logger,
  type RunningServer,
  type ServiceBinding,
} from '@lth/grpc-kit';
import { dataService } from './data-service';
import { DataFeed } from './data-feed';
import { evaluationService } from './evaluation-service';
import { emptyFineTuneStats, fineTuneService } from './finetune-service';
import { pruningService } from './pruning-service';
import { createServiceMetrics } from './service-metrics';
import { startMetricsServer, type MetricsServer } from '@lth/metrics';
import type { DataServiceStats } from './data-service';
import type { FineTuneStats } from './finetune-service';

export type ServiceKind = 'data' | 'pruning' | 'finetune' | 'evaluation';

export interface ServeOptions {
  /** host:port; port 0 picks a free one. */
  listen: string;
  /** The shared artifact store (LTH_STORE). */
  store?: string;
  /** The data service, for fine-tuning and evaluation. */
  dataAddress?: string;
  /** Where the data service keeps converted datasets. */
  cacheDir?: string;
  /** Datasets the data service loads before it says SERVING (default: the packaged ones). */
  preload?: string[];
  /** Extra datasets from IDX directories: name=dir. */
  idx?: string[];
  /** A YAML file with a `datasets:` list (a registry file on the volume, or a campaign file). */
  datasets?: string;
  backend?: string;
  /**
   * This process was given a GPU (the gpu overlay sets LTH_EXPECT_GPU): computing on the CPU
   * instead is logged as an error at start-up and exported as lth_gpu_missing.
   */
  expectGpu?: boolean;
  maxConcurrent?: number;
  /** Trainings that may wait for a slot; more are refused with RESOURCE_EXHAUSTED. */
  maxQueued?: number;
  /** host:port for GET /metrics (Prometheus); unset: no metrics endpoint. */
  metricsListen?: string;
  /**
   * The service cannot go on (its TF.js backend stopped computing): health already says
   * NOT_SERVING; the process should exit so that its Deployment or parent starts a new one.
   */
  onFatal?: (reason: string) => void;
  log?: Logger;
}

export interface ServingService {
  kind: ServiceKind;
  server: RunningServer;
  /** The TF.js backend, or `none` for services that compute in plain JS. */
  backend: string;
  metrics?: MetricsServer;
}

/**
 * Starts one service: binds, loads what it needs (backend, datasets) while health says
 * NOT_SERVING, then says SERVING.
 */
export async function serve(kind: ServiceKind, options: ServeOptions): Promise<ServingService> {
  const log = options.log ?? createLogger(`lth-${kind}`);
  const store = new ArtifactStore(options.store ?? defaultStoreRoot());
  const needsBackend = kind === 'finetune' || kind === 'evaluation';
  const needsData = kind === 'finetune' || kind === 'evaluation';
  if (needsData && !options.dataAddress)
    throw new InvalidArgumentError(`the ${kind} service needs --data ADDRESS (the data service)`);
  let backend = 'none';
  let gpuMissing = false;
  const dataStats: DataServiceStats = { bytesStreamed: 0 };
  const fineTuneStats: FineTuneStats = emptyFineTuneStats();
  const metrics = createServiceMetrics({
    service: kind,
    backend: () => backend,
    gpuMissing: () => gpuMissing,
    store: store.counters,
    data: kind === 'data' ? dataStats : undefined,
    finetune: kind === 'finetune' ? fineTuneStats : undefined,
    tensors: needsBackend,
  });
  let binding: ServiceBinding;
  // Set once the server is up; the backend can only be lost while it serves.
  const serving: { server?: RunningServer } = {};
  let backendLost = false;
  const onBackendLost = (error: unknown) => {
    backendLost = true;
    serving.server?.setServing(false);
    const reason = `the ${backend} backend stopped computing after: ${(error as Error)?.message ?? String(error)}`;
    log.error({ backend }, reason);
    options.onFatal?.(reason);
  };
  let registry: DatasetRegistry | undefined;
  switch (kind) {
    case 'data':
      registry = new DatasetRegistry(
        options.cacheDir ?? process.env['LTH_CACHE'] ?? join(process.cwd(), '.lth', 'cache'),
      );
      for (const spec of options.idx ?? []) {
        const [name, dir] = spec.split('=');
        if (!name || !dir) throw new InvalidArgumentError(`--idx wants NAME=DIR, got ${quote(spec)}`);
        registry.add(fileDataset({ name, format: 'idx', path: dir, validation: 5000 }));
      }
      const sources = options.datasets ?? process.env['LTH_DATASETS'];
      for (const source of sources ? await readDatasetSources(sources) : []) {
        const progress = ({ split, done, total }: { split: string; done: number; total: number }) =>
          log.info({ dataset: source.name, split, done, total }, 'converting images');
        registry.add(fileDataset(source, progress));
      }
      binding = dataService(registry, dataStats);
      break;
    case 'pruning':
      binding = pruningService(store);
      break;
    case 'finetune':
      binding = fineTuneService(
        store,
        new DataFeed(dataClient(openChannel(options.dataAddress!))),
        { maxConcurrent: options.maxConcurrent ?? 1, maxQueued: options.maxQueued ?? 16, onBackendLost },
        fineTuneStats,
      );
      break;
    case 'evaluation':
      binding = evaluationService(store, new DataFeed(dataClient(openChannel(options.dataAddress!))));
      break;
  }
  const server = await startServer(options.listen, [binding], { log, onDone: metrics.onDone });
  serving.server = server;
  if (needsBackend) {
    const report = await initBackend(parseBackendChoice(options.backend ?? process.env['LTH_BACKEND']));
    backend = report.backend;
    log.info({ backend, device: report.device, skipped: report.skipped }, `TF.js backend: ${backend}`);
    gpuMissing = (options.expectGpu ?? false) && report.device !== 'gpu';
    if (gpuMissing) {
      const tried = report.skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
      log.error(
        { backend, device: report.device, skipped: report.skipped },
        `GPU MISSING: this pod was given a GPU but computes on the CPU with ${backend}` +
          `${tried ? ` (${tried})` : ''}; check the node's NVIDIA driver and the image's CUDA libraries`,
      );
    }
  }
  if (registry) {
    for (const name of options.preload ?? registry.names()) {
      const started = performance.now();
      const d = await registry.get(name);
      const { height, width, channels, numClasses, trainSize, validationSize, testSize } = d.info;
      const shape = { height, width, channels, classes: numClasses };
      const splits = { train: trainSize, validation: validationSize, test: testSize };
      log.info({ dataset: name, ...shape, ...splits, seconds: (performance.now() - started) / 1000 }, 'dataset ready');
    }
  }
  const metricsServer = options.metricsListen
    ? await startMetricsServer(metrics.registry, options.metricsListen)
    : undefined;
  if (metricsServer) server.shutdownSignal.addEventListener('abort', () => void metricsServer.close(), { once: true });
  server.setServing(true);
  if (needsData) watchUpstream(server, options.dataAddress!, log, () => backendLost);
  log.info({ address: server.address, backend, metrics: metricsServer?.address }, `${kind} service serving`);
  return { kind, server, backend, metrics: metricsServer };
}

/** How often a service asks its upstream (the data service) whether it serves. */
const UPSTREAM_CHECK_MS = 2000;

/**
 * Health means ready: fine-tuning and evaluation cannot work without the data service, so they
 * say NOT_SERVING while it does not answer SERVING, and SERVING again when it does.
 */
function watchUpstream(server: RunningServer, dataAddress: string, log: Logger, lost: () => boolean): void {
  let upstreamServing = true;
  let checking = false;
  const check = async () => {
    if (checking) return; // a check can take up to its deadline, longer than the interval
    checking = true;
    const status = await checkHealth(dataAddress).catch(() => 'UNREACHABLE');
    checking = false;
    const ok = status === 'SERVING';
    if (ok !== upstreamServing) {
      upstreamServing = ok;
      if (ok) log.info({ data: dataAddress }, 'the data service serves again: SERVING');
      else log.warn({ data: dataAddress, status }, 'the data service does not serve: NOT_SERVING until it does');
    }
    if (!server.shutdownSignal.aborted) server.setServing(ok && !lost());
  };
  const timer = setInterval(() => void check(), UPSTREAM_CHECK_MS);
  timer.unref();
  server.shutdownSignal.addEventListener('abort', () => clearInterval(timer), { once: true });
}

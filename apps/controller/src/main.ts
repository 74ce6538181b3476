#!/usr/bin/env node
// The Kubernetes controller process: Campaign custom resources -> task Jobs. The kubeconfig comes
// from KUBECONFIG, ~/.kube/config or the pod's service account.
import { hostname } from 'node:os';
import { Command, InvalidArgumentError as UsageError } from 'commander';
import { DEFAULT_JOB_SETTINGS, type JobDefaults } from '@lth/kube-core';
import { CampaignController, k8s, type K8s } from '@lth/kube-controller';
import { createLogger } from '@lth/grpc-kit';
import { startMetricsServer } from '@lth/metrics';
import { ArtifactStore, defaultStoreRoot } from '@lth/store';

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError('must be a whole number');
  return n;
}

function jobDefaults(value: string): Partial<JobDefaults> {
  try {
    return JSON.parse(value) as Partial<JobDefaults>;
  } catch (e) {
    throw new UsageError(`is not JSON: ${(e as Error).message}`);
  }
}

const program = new Command('lth-controller')
  .description('run the Kubernetes controller: Campaign custom resources -> task Jobs')
  .option('--namespace <ns>', 'namespace to watch (default: $POD_NAMESPACE or the kubeconfig context)')
  .option('--store <dir>', 'artifact store, mounted at the same path in task Jobs (default: $LTH_STORE or .lth/store)')
  .option('--parallelism <n>', 'task Jobs per campaign when its spec says 0', count, 4)
  .option('--global-limit <n>', 'task Jobs at once across campaigns', count, 64)
  .option(
    '--job-defaults <json>',
    'task Job settings: image, serviceAccount, nodeSelector, tolerations, resources, activeDeadlineSeconds, ' +
      'ttlSecondsAfterFinished, storeClaim, storeMount, services',
    jobDefaults,
  )
  .option('--identity <id>', 'leader-election identity (default: $POD_NAME)')
  .option(
    '--requeue-ms <ms>',
    "a campaign waiting for a finished task's record in the store is reconciled again after this delay",
    count,
    5000,
  )
  .option('--resync-ms <ms>', 'any other running campaign is reconciled again after this delay', count, 300_000)
  .option(
    '--event-interval-ms <ms>',
    'at most one round progress Event per campaign this often; what happens meanwhile is told together',
    count,
    10_000,
  )
  .option('--metrics <host:port>', 'serve Prometheus metrics on GET /metrics at this address')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

/**
 * The image of this controller's own container: task Jobs run the driver from it, so one
 * `kustomize edit set image` moves the controller, the services and the driver together.
 */
async function ownImage(kubeConfig: K8s.KubeConfig, namespace: string): Promise<string> {
  const pod = process.env['POD_NAME'];
  if (!pod) {
    throw new Error('no driver image: run in a pod (POD_NAME set) or give --job-defaults \'{"image": "..."}\'');
  }
  const self = await kubeConfig.makeApiClient(k8s().CoreV1Api).readNamespacedPod({ name: pod, namespace });
  const containers = self.spec?.containers ?? [];
  const image = (containers.find((c) => c.name === 'controller') ?? containers[0])?.image;
  if (!image) throw new Error(`pod ${pod} has no container image to run task Jobs with`);
  return image;
}

async function main(): Promise<void> {
  const flags = program.parse().opts();
  const log = createLogger('lth-controller');
  const store = new ArtifactStore(flags['store'] ?? defaultStoreRoot());
  const kubeConfig = new (k8s().KubeConfig)();
  kubeConfig.loadFromDefault();
  const context = kubeConfig.getContextObject(kubeConfig.getCurrentContext());
  const namespace = flags['namespace'] ?? process.env['POD_NAMESPACE'] ?? context?.namespace ?? 'default';
  const identity = flags['identity'] ?? process.env['POD_NAME'] ?? `${hostname()}-${process.pid}`;
  const configured: Partial<JobDefaults> = flags['jobDefaults'] ?? {};
  const image = configured.image ?? (await ownImage(kubeConfig, namespace));
  const controller = new CampaignController({
    kubeConfig,
    namespace,
    store,
    jobDefaults: { ...DEFAULT_JOB_SETTINGS, storePath: store.root, ...configured, image },
    defaultParallelism: flags['parallelism'],
    globalLimit: flags['globalLimit'],
    identity,
    log,
    requeueMs: flags['requeueMs'],
    resyncMs: flags['resyncMs'],
    eventIntervalMs: flags['eventIntervalMs'],
  });
  await controller.start();
  const metrics = flags['metrics']
    ? await startMetricsServer(controller.metrics.registry, flags['metrics'])
    : undefined;
  log.info({ namespace, identity, image, metrics: metrics?.address }, 'controller started');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log.info('stopping');
  await controller.stop();
  await metrics?.close();
  // Open watch connections and keep-alive sockets would hold the process: a server exits.
  process.exit(0);
}

main().catch((e: Error) => {
  process.stderr.write(`lth-controller: ${e.message}\n`);
  process.exit(1);
});

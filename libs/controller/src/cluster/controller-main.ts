import { hostname } from 'node:os';
import { DEFAULT_JOB_SETTINGS, type JobDefaults } from '@lth/core';
import { createLogger } from '@lth/grpc-kit';
import type { ArtifactStore } from '@lth/store';
import { startMetricsServer } from '@lth/metrics';
import { ClusterController } from './cluster-controller';
import { k8s } from './k8s';

export interface ControllerCommand {
  namespace?: string;
  store: ArtifactStore;
  /** JSON overrides of the round Job defaults (image, services, storePath, backoffLimit, ...). */
  jobDefaults?: Partial<JobDefaults>;
  parallelism: number;
  globalLimit: number;
  identity?: string;
  resyncMs?: number;
  /** host:port for GET /metrics. */
  metricsListen?: string;
}

/** `lth controller`: runs until SIGTERM; the kubeconfig comes from KUBECONFIG, ~/.kube/config or the pod. */
export async function controllerMain(cmd: ControllerCommand): Promise<number> {
  const log = createLogger('lth-controller');
  const kubeConfig = new (k8s().KubeConfig)();
  kubeConfig.loadFromDefault();
  const namespace = cmd.namespace ?? process.env['POD_NAMESPACE'] ?? kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
  const identity = cmd.identity ?? process.env['POD_NAME'] ?? `${hostname()}-${process.pid}`;
  const controller = new ClusterController({
    kubeConfig,
    namespace,
    store: cmd.store,
    jobDefaults: { ...DEFAULT_JOB_SETTINGS, storePath: cmd.store.root, ...cmd.jobDefaults },
    defaultParallelism: cmd.parallelism,
    globalLimit: cmd.globalLimit,
    identity,
    log,
    resyncMs: cmd.resyncMs,
  });
  await controller.start();
  const metrics = cmd.metricsListen ? await startMetricsServer(controller.metrics.registry, cmd.metricsListen) : undefined;
  log.info({ namespace, identity, metrics: metrics?.address }, 'controller started');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log.info('stopping');
  await controller.stop();
  await metrics?.close();
  return 0;
}

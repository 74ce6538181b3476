import { k8s, type K8s } from './k8s';
import {
  CAMPAIGN_GROUP,
  CAMPAIGN_PLURAL,
  CAMPAIGN_VERSION,
  CampaignSpecError,
  campaignStatus,
  expandCampaign,
  invalidStatus,
  LABELS,
  planJobs,
  pretrainingsOf,
  roundJob,
  validateCampaign,
  type CampaignStatus,
  type ClusterTask,
  type JobDefaults,
  type ObservedJob,
} from '@lth/core';
import type { ArtifactStore } from '@lth/store';
import type { Logger } from '@lth/grpc-kit';
import { ControllerMetrics } from '../controller-metrics';
import { startLeaderElection } from './leader-election';
import { readStoreProgress } from './store-progress';
import { WorkQueue } from './work-queue';

export interface CampaignObject extends K8s.KubernetesObject {
  spec?: unknown;
  status?: CampaignStatus;
}

export interface ClusterControllerOptions {
  kubeConfig: K8s.KubeConfig;
  namespace: string;
  store: ArtifactStore;
  jobDefaults: JobDefaults;
  /** Round Jobs of one campaign at once when its spec says 0. */
  defaultParallelism: number;
  /** Round Jobs at once across all campaigns. */
  globalLimit: number;
  identity: string;
  log: Logger;
  leaseName?: string;
  /** Periodic resync: catches store changes no watch event announces. */
  resyncMs?: number;
  metrics?: ControllerMetrics;
}

const conflict = (e: unknown) => (e as { code?: number }).code === 409;
const notFound = (e: unknown) => (e as { code?: number }).code === 404;

/**
 * The cluster controller (kubebuilder's shape): informers on Campaigns and on the Jobs it owns
 * only enqueue `namespace/name`; reconcile(key) reads the campaign, the store and its Jobs,
 * plans the Jobs (pure), creates the missing ones under deterministic names, computes the
 * status (pure) and writes it only when it changed. Only the Lease holder reconciles.
 */
export class ClusterController {
  private readonly custom: K8s.CustomObjectsApi;
  private readonly batch: K8s.BatchV1Api;
  private readonly core: K8s.CoreV1Api;
  private readonly queue = new WorkQueue();
  private campaigns!: K8s.Informer<CampaignObject> & K8s.ObjectCache<CampaignObject>;
  private jobs!: K8s.Informer<K8s.V1Job> & K8s.ObjectCache<K8s.V1Job>;
  private election?: ReturnType<typeof startLeaderElection>;
  private resync?: NodeJS.Timeout;
  private workers: Promise<void>[] = [];
  private stopping = false;
  private readonly timedJobs = new Set<string>();
  readonly metrics: ControllerMetrics;
  readonly stats = { reconciles: 0, reconcileErrors: 0, jobsCreated: 0 };

  constructor(private readonly o: ClusterControllerOptions) {
    this.custom = o.kubeConfig.makeApiClient(k8s().CustomObjectsApi);
    this.batch = o.kubeConfig.makeApiClient(k8s().BatchV1Api);
    this.core = o.kubeConfig.makeApiClient(k8s().CoreV1Api);
    this.metrics = o.metrics ?? new ControllerMetrics({ queueDepth: () => this.queue.depth, leader: () => this.leading });
  }

  get leading(): boolean {
    return this.election?.isLeader() ?? false;
  }

  async start(): Promise<void> {
    const { kubeConfig, namespace } = this.o;
    this.campaigns = k8s().makeInformer<CampaignObject>(
      kubeConfig,
      `/apis/${CAMPAIGN_GROUP}/${CAMPAIGN_VERSION}/namespaces/${namespace}/${CAMPAIGN_PLURAL}`,
      () => this.custom.listNamespacedCustomObject({ group: CAMPAIGN_GROUP, version: CAMPAIGN_VERSION, namespace, plural: CAMPAIGN_PLURAL }),
    );
    const jobSelector = 'app.kubernetes.io/managed-by=lth-controller';
    this.jobs = k8s().makeInformer<K8s.V1Job>(kubeConfig, `/apis/batch/v1/namespaces/${namespace}/jobs`, () => this.batch.listNamespacedJob({ namespace, labelSelector: jobSelector }), jobSelector);
    const enqueueCampaign = (c: CampaignObject) => this.queue.add(`${c.metadata?.namespace}/${c.metadata?.name}`);
    const enqueueOwner = (j: K8s.V1Job) => {
      const campaign = j.metadata?.labels?.[LABELS.campaign];
      if (campaign) this.queue.add(`${j.metadata?.namespace}/${campaign}`);
    };
    this.campaigns.on('add', enqueueCampaign);
    this.campaigns.on('update', enqueueCampaign);
    this.jobs.on('add', enqueueOwner);
    this.jobs.on('update', (j: K8s.V1Job) => {
      this.timeRound(j);
      enqueueOwner(j);
    });
    this.jobs.on('delete', enqueueOwner);
    for (const inf of [this.campaigns, this.jobs] as K8s.Informer<K8s.KubernetesObject>[]) {
      inf.on('error', (err: unknown) => {
        if (this.stopping) return;
        this.o.log.warn({ error: (err as Error)?.message ?? String(err) }, 'watch failed; restarting');
        setTimeout(() => {
          if (!this.stopping) void inf.start().catch(() => undefined);
        }, 1000).unref();
      });
    }
    await Promise.all([this.campaigns.start(), this.jobs.start()]);
    this.election = startLeaderElection({
      api: kubeConfig.makeApiClient(k8s().CoordinationV1Api),
      namespace,
      name: this.o.leaseName ?? 'lth-controller',
      identity: this.o.identity,
      onStartedLeading: () => {
        this.o.log.info({ identity: this.o.identity }, 'became leader');
        for (const c of this.campaigns.list()) enqueueCampaign(c);
      },
      onStoppedLeading: () => this.o.log.info({ identity: this.o.identity }, 'not the leader'),
    });
    this.resync = setInterval(() => {
      if (this.leading) for (const c of this.campaigns.list()) enqueueCampaign(c);
    }, this.o.resyncMs ?? 5000);
    this.workers = [this.work()];
  }

  private async work(): Promise<void> {
    for (let key = await this.queue.next(); key; key = await this.queue.next()) {
      const started = performance.now();
      try {
        if (this.leading) {
          this.metrics.reconciles.inc();
          await this.reconcile(key);
          this.metrics.reconcileDuration.observe((performance.now() - started) / 1000);
        }
        this.queue.forget(key);
      } catch (e) {
        this.stats.reconcileErrors++;
        this.metrics.reconcileErrors.inc();
        this.o.log.warn({ key, err: e }, 'reconcile failed; retrying');
        this.queue.retry(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  /** Level-triggered: reads everything it needs, so running it twice changes nothing. */
  async reconcile(key: string): Promise<void> {
    this.stats.reconciles++;
    const [namespace, name] = key.split('/') as [string, string];
    const campaign = this.campaigns.get(name, namespace);
    if (!campaign) return; // deleted: owner references take its Jobs with it
    const generation = campaign.metadata?.generation ?? 0;
    const now = new Date().toISOString();
    let spec;
    try {
      spec = validateCampaign(campaign.spec);
    } catch (e) {
      if (!(e instanceof CampaignSpecError)) throw e;
      const status = invalidStatus(campaign.status, generation, e.issues, now);
      this.metrics.setCampaignPhase(name, status.phase);
      // Write first: an Event goes out only when the status changed, so it is not repeated.
      if (await this.writeStatus(campaign, status)) await this.event(campaign, 'Warning', 'InvalidSpec', status.conditions.find((c) => c.type === 'Failed')!.message);
      return;
    }
    const experiments = expandCampaign(spec);
    const plans = pretrainingsOf(experiments);
    const { progress, science } = await readStoreProgress(this.o.store, experiments, plans);
    const owned = this.jobs.list(namespace).filter((j) => j.metadata?.labels?.[LABELS.campaign] === name);
    const observed = new Map<string, ObservedJob>(owned.map((j) => [j.metadata!.name!, observeJob(j)]));
    const activeEverywhere = this.jobs.list().filter((j) => observeJob(j).state === 'active').length;
    const activeHere = [...observed.values()].filter((j) => j.state === 'active').length;
    const parallelism = spec.parallelism || this.o.defaultParallelism;
    const slots = Math.min(parallelism, activeHere + Math.max(0, this.o.globalLimit - activeEverywhere));
    const plan = planJobs(name, experiments, plans, progress, observed, slots);
    const ref = { name, namespace, uid: campaign.metadata!.uid! };
    for (const task of plan.create) await this.createJob(campaign, ref, task, spec.cluster ?? {});
    const status = campaignStatus(campaign.status, generation, plan.experiments, science, now);
    this.metrics.setCampaignPhase(name, status.phase);
    for (const st of plan.experiments) {
      this.metrics.setExperimentState(name, st.experiment.id, st.state);
      const sci = science.get(st.experiment.id);
      for (const r of sci?.rounds ?? []) this.metrics.recordRound(name, st.experiment, r.round, r.sparsity, r.testAccuracy, sci?.denseAccuracy ?? null, sci?.winningSparsity ?? null);
    }
    await this.announce(campaign, campaign.status, status);
    await this.writeStatus(campaign, status);
  }

  private async createJob(campaign: CampaignObject, ref: { name: string; namespace: string; uid: string }, task: ClusterTask, overrides: object): Promise<void> {
    const digest = await this.o.store.putJson(task.kind === 'round' ? task.experiment : task.plan);
    const body = roundJob(ref, task, digest, this.o.jobDefaults, overrides) as K8s.V1Job;
    body.metadata!.annotations = { 'lth.dev/created-by': this.o.identity };
    try {
      await this.batch.createNamespacedJob({ namespace: ref.namespace, body });
      this.stats.jobsCreated++;
      this.metrics.jobsCreated.inc();
      this.metrics.roundsStarted.inc({ campaign: ref.name });
      const what = task.kind === 'round' ? `round ${task.round} of experiment ${task.experiment.id}` : `pre-training ${task.plan.name}`;
      await this.event(campaign, 'Normal', 'RoundStarted', `${what}: Job ${body.metadata!.name}`);
    } catch (e) {
      if (!conflict(e)) throw e; // AlreadyExists: someone (an earlier us) created it
    }
  }

  /** Events for rounds that finished and experiments that failed since the last status. */
  private async announce(campaign: CampaignObject, before: CampaignStatus | undefined, after: CampaignStatus): Promise<void> {
    const prev = new Map((before?.experiments ?? []).map((e) => [e.id, e]));
    for (const e of after.experiments) {
      const p = prev.get(e.id);
      if (e.roundsDone > (p?.roundsDone ?? 0)) {
        if (p) this.metrics.roundsSucceeded.inc({ campaign: campaign.metadata!.name! }, e.roundsDone - p.roundsDone);
        await this.event(campaign, 'Normal', 'RoundFinished', `experiment ${e.id}: ${e.roundsDone}/${e.rounds} rounds, sparsity ${(e.sparsity * 100).toFixed(2)}%, test accuracy ${e.testAccuracy?.toFixed(4)}`);
      }
      if (e.state === 'Failed' && p?.state !== 'Failed') this.metrics.roundsFailed.inc({ campaign: campaign.metadata!.name! });
      if (e.state === 'Failed' && p?.state !== 'Failed') await this.event(campaign, 'Warning', 'RoundFailed', `experiment ${e.id}: ${e.message}`);
    }
  }

  /** Writes status only when it changed; false when nothing was written. */
  private async writeStatus(campaign: CampaignObject, status: CampaignStatus): Promise<boolean> {
    if (JSON.stringify(campaign.status) === JSON.stringify(status)) return false;
    const meta = campaign.metadata!;
    await this.custom.replaceNamespacedCustomObjectStatus({
      group: CAMPAIGN_GROUP,
      version: CAMPAIGN_VERSION,
      namespace: meta.namespace!,
      plural: CAMPAIGN_PLURAL,
      name: meta.name!,
      body: { ...campaign, status },
    });
    return true;
  }

  private async event(campaign: CampaignObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const meta = campaign.metadata!;
    const at = new Date();
    try {
      await this.core.createNamespacedEvent({
        namespace: meta.namespace!,
        body: {
          metadata: { generateName: `${meta.name}.`, namespace: meta.namespace },
          involvedObject: { apiVersion: `${CAMPAIGN_GROUP}/${CAMPAIGN_VERSION}`, kind: 'Campaign', name: meta.name, namespace: meta.namespace, uid: meta.uid },
          type,
          reason,
          message,
          source: { component: 'lth-controller' },
          firstTimestamp: at,
          lastTimestamp: at,
          count: 1,
        },
      });
    } catch (e) {
      this.o.log.warn({ err: e, reason }, 'could not record an event');
    }
  }

  /** Round duration from the Job's own start and completion times, once per Job. */
  private timeRound(job: K8s.V1Job): void {
    const uid = job.metadata?.uid;
    const { startTime, completionTime } = job.status ?? {};
    if (!uid || !startTime || !completionTime || this.timedJobs.has(uid)) return;
    this.timedJobs.add(uid);
    const campaign = job.metadata?.labels?.[LABELS.campaign] ?? 'unknown';
    this.metrics.roundDuration.observe({ campaign }, (new Date(completionTime).getTime() - new Date(startTime).getTime()) / 1000);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.resync) clearInterval(this.resync);
    this.queue.close();
    await this.election?.stop();
    await Promise.all([this.campaigns?.stop(), this.jobs?.stop()]);
    await Promise.all(this.workers);
  }
}

export function observeJob(job: K8s.V1Job): ObservedJob {
  const conditions = job.status?.conditions ?? [];
  const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) return { name: job.metadata!.name!, state: 'failed', message: [failed.reason, failed.message].filter(Boolean).join(': ') };
  if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) return { name: job.metadata!.name!, state: 'succeeded' };
  return { name: job.metadata!.name!, state: 'active' };
}

export { notFound };

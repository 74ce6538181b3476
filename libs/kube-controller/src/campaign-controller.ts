import { isDeepStrictEqual } from 'node:util';
import {
  branchRunsOf,
  CampaignSpecError,
  describeTask,
  expandCampaign,
  lastRound,
  mayRetry,
  planTasks,
  taskSettings,
  validateCampaign,
  type BranchRun,
  type CampaignSpec,
  type ClusterSpec,
  type Experiment,
  type Task,
} from '@lth/core';
import {
  attemptsOfJobs,
  awaitingRecord,
  CAMPAIGN_GROUP,
  CAMPAIGN_PLURAL,
  CAMPAIGN_VERSION,
  campaignStatus,
  EVENT_REASON,
  invalidStatus,
  jobState,
  RETRY_ANNOTATION,
  withRememberedFailures,
  LABELS,
  obsoleteJobs,
  taskJob,
  type CampaignRef,
  type CampaignStatus,
  type JobDefaults,
} from '@lth/kube-core';
import { StoreProgressCache } from '@lth/driver';
import type { ArtifactStore } from '@lth/store';
import type { Logger } from '@lth/grpc-kit';
import { CampaignMetrics } from '@lth/metrics';
import { k8s, type K8s } from './k8s';
import { makeJobInformer } from './job-informer';
import { JobIndex } from './job-index';
import { startLeaderElection } from './leader-election';
import { RoundEvents, type RoundNews } from './round-events';
import { WorkQueue } from './work-queue';

export interface CampaignObject extends K8s.KubernetesObject {
  spec?: unknown;
  status?: CampaignStatus;
}

export interface CampaignControllerOptions {
  kubeConfig: K8s.KubeConfig;
  namespace: string;
  store: ArtifactStore;
  jobDefaults: JobDefaults;
  /** Task Jobs of one campaign at once when its spec says 0. */
  defaultParallelism: number;
  /** Task Jobs at once across all campaigns. */
  globalLimit: number;
  identity: string;
  log: Logger;
  leaseName?: string;
  /**
   * A campaign waiting for a finished task's record to show in the store (a change no watch event
   * announces) is reconciled again after this delay.
   */
  requeueMs?: number;
  /** Any other running campaign is reconciled again after this long, as a safety net; a finished one never. */
  resyncMs?: number;
  /** At most one round progress Event per campaign this often (what happened meanwhile is told together). */
  eventIntervalMs?: number;
}

const conflict = (e: unknown) => (e as { code?: number }).code === 409;

/** Items named in one Event message (the API server refuses an Event note over 1 kB). */
const EVENT_ITEMS = 3;

/** A list for an Event message: the first few items, and how many more. */
function summarize(items: readonly string[]): string {
  const shown = items.slice(0, EVENT_ITEMS).join('; ');
  const more = items.length > EVENT_ITEMS ? `; and ${items.length - EVENT_ITEMS} more` : '';
  return items.length === 1 ? shown : `${items.length}: ${shown}${more}`;
}

/** Campaigns reconciled at once. */
const RECONCILE_WORKERS = 4;

/**
 * The Kubernetes executor of the planner (kubebuilder's shape): informers on Campaigns and on
 * the Jobs it owns only enqueue `namespace/name`; reconcile(key) reads the campaign, the store
 * and its Jobs, asks the planner (the same pure function `lth run` uses) what runs next, creates
 * those Jobs under deterministic names, computes the status (pure) and writes it only when it
 * changed. Only the Lease holder reconciles.
 */
export class CampaignController {
  private readonly custom: K8s.CustomObjectsApi;
  private readonly batch: K8s.BatchV1Api;
  private readonly core: K8s.CoreV1Api;
  private readonly queue = new WorkQueue();
  private campaigns!: K8s.Informer<CampaignObject> & K8s.ObjectCache<CampaignObject>;
  private jobs!: K8s.Informer<K8s.V1Job> & K8s.ObjectCache<K8s.V1Job>;
  private election?: ReturnType<typeof startLeaderElection>;
  /** Finished rounds by experiment, read once: records never change once written. */
  private readonly progress = new StoreProgressCache((ref, e) =>
    this.o.log.warn({ ref, error: e.message }, 'a record is corrupt: its task runs again'),
  );
  private workers: Promise<void>[] = [];
  private stopping = false;
  private readonly jobIndex = new JobIndex();
  /**
   * Campaigns the global limit held back, oldest first: each slot a finishing Job frees wakes one,
   * rather than every campaign (or a timer) racing for it.
   */
  private readonly slotWaiters = new Set<string>();
  /** When each campaign (by UID) last read every experiment's progress from the store. */
  private readonly lastFullRead = new Map<string, number>();
  /** Jobs being created (planned, not yet in the index). */
  private reservedSlots = 0;
  /** Each campaign's validated spec and experiments, by UID, for the generation they were made from. */
  private readonly expanded = new Map<
    string,
    { generation: number; spec: CampaignSpec; experiments: Experiment[]; lastRound: number; branchRuns: BranchRun[] }
  >();
  /**
   * The campaign as this controller's last status write returned it, by UID, with the
   * resourceVersion that write replaced: until the watch brings the write back, the informer cache
   * still holds the older object, and reconciling from it would write the same status again (and
   * be refused with 409 Conflict for its stale resourceVersion).
   */
  private readonly ownWrites = new Map<string, { replaced: string | undefined; campaign: CampaignObject }>();
  /** Jobs already counted as finished (by uid), so each counts once. */
  private readonly countedJobs = new Set<string>();
  private readonly roundEvents: RoundEvents<CampaignObject>;
  readonly metrics: CampaignMetrics;

  constructor(private readonly o: CampaignControllerOptions) {
    this.custom = o.kubeConfig.makeApiClient(k8s().CustomObjectsApi);
    this.batch = o.kubeConfig.makeApiClient(k8s().BatchV1Api);
    this.core = o.kubeConfig.makeApiClient(k8s().CoreV1Api);
    this.roundEvents = new RoundEvents(o.eventIntervalMs ?? 10_000, (c, news) => this.tellRounds(c, news));
    this.metrics = new CampaignMetrics({
      // Read from the informer cache at scrape time: a deleted campaign is gone from it, and a
      // controller that does not hold the Lease answers for no campaign.
      campaigns: () =>
        this.leading && this.campaigns
          ? this.campaigns.list().map((c) => c.status ?? { phase: 'Pending', experiments: [] })
          : [],
      queueDepth: () => this.queue.depth,
      leader: () => this.leading,
    });
  }

  get leading(): boolean {
    return this.election?.isLeader() ?? false;
  }

  async start(): Promise<void> {
    const { kubeConfig, namespace } = this.o;
    this.campaigns = k8s().makeInformer<CampaignObject>(
      kubeConfig,
      `/apis/${CAMPAIGN_GROUP}/${CAMPAIGN_VERSION}/namespaces/${namespace}/${CAMPAIGN_PLURAL}`,
      () =>
        this.custom.listNamespacedCustomObject({
          group: CAMPAIGN_GROUP,
          version: CAMPAIGN_VERSION,
          namespace,
          plural: CAMPAIGN_PLURAL,
        }),
    );
    const jobSelector = 'app.kubernetes.io/managed-by=lth-controller';
    this.jobs = makeJobInformer(
      kubeConfig,
      `/apis/batch/v1/namespaces/${namespace}/jobs`,
      () => this.batch.listNamespacedJob({ namespace, labelSelector: jobSelector }),
      jobSelector,
    );
    const enqueueCampaign = (c: CampaignObject) => this.queue.add(`${c.metadata?.namespace}/${c.metadata?.name}`);
    const enqueueOwner = (j: K8s.V1Job) => {
      const campaign = j.metadata?.labels?.[LABELS.campaign];
      if (campaign) this.queue.add(`${j.metadata?.namespace}/${campaign}`);
    };
    this.campaigns.on('add', enqueueCampaign);
    this.campaigns.on('update', enqueueCampaign);
    const onJob = (j: K8s.V1Job) => {
      if (this.jobIndex.upsert(j)) this.wakeSlotWaiter();
      enqueueOwner(j);
    };
    this.jobs.on('add', onJob);
    this.jobs.on('update', onJob);
    this.jobs.on('delete', (j) => {
      if (this.jobIndex.remove(j)) this.wakeSlotWaiter();
      enqueueOwner(j);
      this.countedJobs.delete(j.metadata?.uid ?? '');
    });
    this.campaigns.on('delete', (c) => {
      this.expanded.delete(c.metadata?.uid ?? '');
      this.ownWrites.delete(c.metadata?.uid ?? '');
      this.roundEvents.forget(c.metadata?.uid ?? '');
      this.lastFullRead.delete(c.metadata?.uid ?? '');
    });
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
      log: this.o.log,
      onStartedLeading: () => {
        this.o.log.info({ identity: this.o.identity }, 'became leader');
        for (const c of this.campaigns.list()) enqueueCampaign(c);
      },
      onStoppedLeading: () => this.o.log.info({ identity: this.o.identity }, 'not the leader'),
    });
    // Distinct campaigns reconcile side by side; the queue never hands out one key twice at once.
    this.workers = Array.from({ length: RECONCILE_WORKERS }, () => this.work());
  }

  /** A slot of the global limit is free: the campaign that has waited longest for one is reconciled. */
  private wakeSlotWaiter(): void {
    const [first] = this.slotWaiters;
    if (first === undefined) return;
    this.slotWaiters.delete(first);
    this.queue.add(first);
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
    const [namespace, name] = key.split('/') as [string, string];
    const campaign = this.newest(this.campaigns.get(name, namespace));
    if (!campaign) {
      this.slotWaiters.delete(key);
      return; // deleted: owner references take its Jobs with it
    }
    const generation = campaign.metadata?.generation ?? 0;
    const now = new Date().toISOString();
    const uid = campaign.metadata!.uid!;
    let cached = this.expanded.get(uid);
    if (cached?.generation !== generation) {
      try {
        const spec = validateCampaign(campaign.spec);
        const experiments = expandCampaign(spec);
        const last = lastRound(spec);
        cached = { generation, spec, experiments, lastRound: last, branchRuns: branchRunsOf(spec, experiments, last) };
        this.expanded.set(uid, cached);
      } catch (e) {
        if (!(e instanceof CampaignSpecError)) throw e;
        const status = invalidStatus(campaign.status, generation, e.issues, now);
        // Write first: an Event goes out only when the status changed, so it is not repeated.
        if (await this.writeStatus(campaign, status)) {
          await this.event(
            campaign,
            'Warning',
            EVENT_REASON.InvalidSpec,
            status.conditions.find((c) => c.type === 'Failed')!.message,
          );
        }
        return;
      }
    }
    const { spec, experiments, branchRuns } = cached;
    const last = cached.lastRound;
    let owned = this.jobIndex.ownedBy(uid);
    const { progress, rounds } = await this.progress.read(this.o.store, experiments, last, {
      unchanged: this.unchanged(uid, owned),
      branchRuns,
    });
    // A retry (a new value of the annotation) forgets the failures and deletes the failed Jobs.
    const retry = campaign.metadata?.annotations?.[RETRY_ANNOTATION];
    const retrying = retry !== undefined && retry !== campaign.status?.retry;
    if (retrying) {
      const failed = owned.filter((j) => jobState(j).state === 'failed');
      for (const job of failed) await this.deleteJob(campaign, job, 'retry asked');
      owned = owned.filter((j) => !failed.includes(j));
    }
    const remembered = retrying ? [] : (campaign.status?.failedTasks ?? []);
    const attempts = withRememberedFailures(attemptsOfJobs(owned), remembered);
    // Reconciles run side by side: slots planned but not yet created are reserved, so they cannot
    // together start more than the global limit.
    const activeEverywhere = this.jobIndex.activeCount + this.reservedSlots;
    const plan = planTasks({
      experiments,
      lastRound: last,
      branchRuns,
      progress,
      attempts,
      maxAttempts: spec.attempts,
      parallelism: spec.parallelism || this.o.defaultParallelism,
      globalFree: this.o.globalLimit - activeEverywhere,
    });
    if (plan.heldByGlobalLimit) this.slotWaiters.add(key);
    else this.slotWaiters.delete(key);
    this.countFinishedJobs(owned, spec.attempts);
    for (const job of obsoleteJobs(owned, experiments, last, branchRuns)) {
      await this.deleteJob(campaign, job, 'the spec no longer asks for its task');
    }
    const ref = { name, namespace, uid };
    this.reservedSlots += plan.start.length;
    const created = await Promise.all(
      plan.start.map((start) => this.createJob(ref, start, spec.cluster).finally(() => this.reservedSlots--)),
    );
    if (this.o.globalLimit - this.jobIndex.activeCount - this.reservedSlots > 0) this.wakeSlotWaiter();
    const started = created.filter((c): c is string => c !== undefined);
    const status = campaignStatus({
      previous: campaign.status,
      generation,
      experiments: plan.experiments,
      rounds,
      lastRound: last,
      failedTasks: plan.failedTasks,
      retry: retry ?? campaign.status?.retry,
      now,
    });
    const written = await this.writeStatus(campaign, status);
    await this.announce(campaign, written ? { before: campaign.status, after: status } : undefined, started);
    if (status.phase === 'Pending' || status.phase === 'Running') {
      const waiting = awaitingRecord(owned, progress);
      this.queue.addAfter(key, waiting ? (this.o.requeueMs ?? 5000) : (this.o.resyncMs ?? 300_000));
    }
  }

  /** The cached campaign, or what this controller last wrote over that very version of it. */
  private newest(cached: CampaignObject | undefined): CampaignObject | undefined {
    const uid = cached?.metadata?.uid;
    const own = uid === undefined ? undefined : this.ownWrites.get(uid);
    if (!own) return cached;
    if (own.replaced === cached!.metadata?.resourceVersion) return own.campaign;
    this.ownWrites.delete(uid!); // the cache has caught up (or someone else wrote since)
    return cached;
  }

  /**
   * Which experiments cannot have new records since the last read: a round's record appears when
   * its Job ends, so only an experiment with a completed Job beyond the rounds already seen is read
   * again (records another campaign's Jobs wrote for a shared experiment are read at a resync).
   */
  private unchanged(campaignUid: string, owned: readonly K8s.V1Job[]): (experimentId: string) => boolean {
    const now = Date.now();
    if (now - (this.lastFullRead.get(campaignUid) ?? 0) > (this.o.resyncMs ?? 300_000)) {
      this.lastFullRead.set(campaignUid, now);
      return () => false;
    }
    const ended = new Map<string, number>();
    for (const job of owned) {
      const experiment = job.metadata?.labels?.[LABELS.experiment];
      if (!experiment || job.metadata?.labels?.[LABELS.round] === undefined || jobState(job).state !== 'succeeded')
        continue;
      ended.set(experiment, Math.max(ended.get(experiment) ?? -1, Number(job.metadata?.labels?.[LABELS.round])));
    }
    return (id) => (ended.get(id) ?? -1) < (this.progress.roundsKnown(id) ?? 0);
  }

  /** Creates a task's Job; says what it started, or nothing when the Job already existed. */
  private async createJob(
    ref: CampaignRef,
    start: { task: Task; attempt: number },
    overrides: ClusterSpec | undefined,
  ): Promise<string | undefined> {
    const { task, attempt } = start;
    const settingsDigest = await this.o.store.putJson(taskSettings(task));
    const body = taskJob({
      campaign: ref,
      task,
      attempt,
      settingsDigest,
      defaults: this.o.jobDefaults,
      overrides,
    }) as K8s.V1Job;
    body.metadata!.annotations = { 'lth.dev/created-by': this.o.identity };
    try {
      // Counted at once, not when the watch brings it back: the next reconcile sees the slot taken.
      this.jobIndex.upsert(await this.batch.createNamespacedJob({ namespace: ref.namespace, body }));
      this.metrics.jobsCreated.inc();
      this.metrics.roundsStarted.inc();
      return `${describeTask(task)}, attempt ${attempt}: Job ${body.metadata!.name}`;
    } catch (e) {
      if (!conflict(e)) throw e; // AlreadyExists: someone (an earlier us) created it
      return undefined;
    }
  }

  /** A Job the campaign no longer asks for (its spec changed); its pods go with it. */
  private async deleteJob(campaign: CampaignObject, job: K8s.V1Job, why: string): Promise<void> {
    const { name, namespace } = job.metadata!;
    try {
      await this.batch.deleteNamespacedJob({ name: name!, namespace: namespace!, propagationPolicy: 'Background' });
      await this.event(campaign, 'Normal', EVENT_REASON.JobDeleted, `Job ${name}: ${why}`);
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
  }

  /** Failed attempts and task durations, from each finished Job once. */
  private countFinishedJobs(jobs: readonly K8s.V1Job[], maxAttempts: number): void {
    for (const job of jobs) {
      const uid = job.metadata?.uid;
      const { state, permanent } = jobState(job);
      if (!uid || state === 'active' || this.countedJobs.has(uid)) continue;
      this.countedJobs.add(uid);
      const { startTime, completionTime } = job.status ?? {};
      if (startTime && completionTime) {
        this.metrics.roundDuration.observe((new Date(completionTime).getTime() - new Date(startTime).getTime()) / 1000);
      }
      if (state === 'failed') {
        // What it read may have been withdrawn as corrupt: the store is asked again about it.
        const labels = job.metadata?.labels ?? {};
        this.progress.forget(labels[LABELS.experiment] ?? labels[LABELS.pretraining] ?? '');
        this.metrics.roundsFailed.inc();
        const attempt = Number(job.metadata?.labels?.[LABELS.attempt] ?? 1);
        if (mayRetry({ started: attempt, running: false, failure: { message: '', permanent } }, maxAttempts)) {
          this.metrics.roundsRetried.inc();
        }
      }
    }
  }

  /**
   * Events and counters for what a reconcile did: rounds that finished and experiments that failed
   * since the last status (when it was written), tasks it started. A failure is told at once; round
   * progress at most once per `eventIntervalMs` per campaign, so a round costs about two writes: its
   * Job and the status.
   */
  private async announce(
    campaign: CampaignObject,
    change: { before: CampaignStatus | undefined; after: CampaignStatus } | undefined,
    started: readonly string[],
  ): Promise<void> {
    const prev = new Map((change?.before?.experiments ?? []).map((e) => [e.id, e]));
    const finished: string[] = [];
    for (const e of change?.after.experiments ?? []) {
      const p = prev.get(e.id);
      if (p && e.branchesDone > p.branchesDone) this.metrics.branchesSucceeded.inc(e.branchesDone - p.branchesDone);
      if (e.roundsDone > (p?.roundsDone ?? 0)) {
        if (p) this.metrics.roundsSucceeded.inc(e.roundsDone - p.roundsDone);
        // The status keeps the latest round's accuracy: rounds that finished between two statuses count once.
        if (p && e.testAccuracy !== null) this.metrics.roundAccuracy.observe(e.testAccuracy);
        const accuracy = e.testAccuracy?.toFixed(4) ?? '-';
        const sparsity = `${(e.sparsity * 100).toFixed(2)}%`;
        const rounds = `${e.roundsDone}/${e.rounds} rounds`;
        finished.push(`experiment ${e.id}: ${rounds}, sparsity ${sparsity}, test accuracy ${accuracy}`);
      }
      if (e.state === 'Failed' && p?.state !== 'Failed') {
        await this.event(campaign, 'Warning', EVENT_REASON.RoundFailed, `experiment ${e.id}: ${e.message}`);
      }
    }
    await this.roundEvents.add(campaign.metadata!.uid!, campaign, { finished, started: [...started] });
  }

  /** One Event for the rounds that finished and the tasks that started since the last one. */
  private async tellRounds(campaign: CampaignObject, { finished, started }: RoundNews): Promise<void> {
    if (finished.length > 0) {
      const next = started.length > 0 ? ` (started ${summarize(started)})` : '';
      await this.event(campaign, 'Normal', EVENT_REASON.RoundFinished, `${summarize(finished)}${next}`);
    } else {
      await this.event(campaign, 'Normal', EVENT_REASON.RoundStarted, summarize(started));
    }
  }

  /**
   * Writes status only when it changed; false when nothing was written. Compared as values: the
   * API server returns custom resources with their keys sorted (they are stored as unstructured
   * maps), so text comparison would see a change on every pass.
   */
  private async writeStatus(campaign: CampaignObject, status: CampaignStatus): Promise<boolean> {
    if (isDeepStrictEqual(campaign.status, JSON.parse(JSON.stringify(status)))) return false;
    const meta = campaign.metadata!;
    const written = (await this.custom.replaceNamespacedCustomObjectStatus({
      group: CAMPAIGN_GROUP,
      version: CAMPAIGN_VERSION,
      namespace: meta.namespace!,
      plural: CAMPAIGN_PLURAL,
      name: meta.name!,
      body: { ...campaign, status },
    })) as CampaignObject;
    this.ownWrites.set(meta.uid!, { replaced: meta.resourceVersion, campaign: written });
    return true;
  }

  private async event(
    campaign: CampaignObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    const meta = campaign.metadata!;
    const at = new Date();
    try {
      await this.core.createNamespacedEvent({
        namespace: meta.namespace!,
        body: {
          metadata: { generateName: `${meta.name}.`, namespace: meta.namespace },
          involvedObject: {
            apiVersion: `${CAMPAIGN_GROUP}/${CAMPAIGN_VERSION}`,
            kind: 'Campaign',
            name: meta.name,
            namespace: meta.namespace,
            uid: meta.uid,
          },
          type,
          reason,
          message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
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

  async stop(): Promise<void> {
    this.stopping = true;
    this.queue.close();
    await Promise.all(this.workers);
    await this.roundEvents.flush();
    await this.election?.stop();
    await Promise.all([this.campaigns?.stop(), this.jobs?.stop()]);
  }
}

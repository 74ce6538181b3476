import {
  DRIVER_EXIT,
  driverArgs,
  settingsId,
  taskRefOf,
  taskKey,
  type BranchRun,
  type ClusterSpec,
  type Experiment,
  type ServiceAddresses,
  type StoreProgress,
  type Task,
  type TaskAttempts,
} from '@lth/core';
import { CAMPAIGN_GROUP, CAMPAIGN_KIND, CAMPAIGN_VERSION } from './campaign-crd';

/** Cluster-wide defaults for task Jobs (the controller's config); a campaign's `cluster` overrides them. */
export interface JobDefaults {
  /** The driver's image: the controller's own unless configured, so both move together on an upgrade. */
  image: string;
  serviceAccount: string;
  nodeSelector: Record<string, string>;
  tolerations: NonNullable<ClusterSpec['tolerations']>;
  resources: NonNullable<ClusterSpec['resources']>;
  activeDeadlineSeconds: number;
  ttlSecondsAfterFinished: number;
  storeClaim: string;
  /** Where the claim is mounted, and the store under it (as in the service pods). */
  storeMount: string;
  storePath: string;
  services: ServiceAddresses;
}

/** Everything but the image, which is the controller's own (see apps/controller). */
export const DEFAULT_JOB_SETTINGS: Omit<JobDefaults, 'image'> = {
  serviceAccount: 'lth-round',
  nodeSelector: {},
  tolerations: [],
  resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '1Gi' } },
  activeDeadlineSeconds: 24 * 3600,
  ttlSecondsAfterFinished: 7 * 24 * 3600,
  storeClaim: 'lth-store',
  storeMount: '/var/lib/lth',
  storePath: '/var/lib/lth/store',
  services: {
    data: 'dns:///lth-data:50051',
    pruning: 'dns:///lth-pruning:50052',
    finetune: 'dns:///lth-finetune:50053',
    evaluation: 'dns:///lth-evaluation:50054',
  },
};

export const LABELS = {
  campaign: `${CAMPAIGN_GROUP}/campaign`,
  experiment: `${CAMPAIGN_GROUP}/experiment`,
  round: `${CAMPAIGN_GROUP}/round`,
  pretraining: `${CAMPAIGN_GROUP}/pretraining`,
  branch: `${CAMPAIGN_GROUP}/branch`,
  attempt: `${CAMPAIGN_GROUP}/attempt`,
} as const;

/** The driver's program in the image (on PATH), the process every task Job runs. */
export const DRIVER_PROGRAM = 'lth-driver';

/** Kubernetes' default terminationMessagePath: the kubelet mounts a file of the container's here. */
export const TERMINATION_LOG = '/dev/termination-log';

/** The container of a task Job: podFailurePolicy and the fake kubelet name it. */
export const DRIVER_CONTAINER = 'driver';

export interface CampaignRef {
  name: string;
  namespace: string;
  uid: string;
}

function shorten(name: string, max: number): string {
  return name.length <= max ? name : name.slice(0, max).replace(/-+$/, '');
}

/**
 * Deterministic, DNS-1123 and at most 52 characters (so pod names derived from it fit in 63).
 * The hash covers the campaign's whole name and UID and the task, so campaigns that share a long
 * prefix never collide and a campaign recreated under the same name never meets its predecessor's
 * Jobs; the attempt is part of the name: every attempt is its own Job.
 */
export function jobName(campaign: CampaignRef, task: Task, attempt: number): string {
  const hash = settingsId({ campaign: campaign.name, uid: campaign.uid, task: taskKey(task) }).slice(0, 10);
  const what = task.kind === 'pretraining' ? 'pre' : task.kind === 'round' ? `r${task.round}` : `b${task.run.round}`;
  return `${shorten(campaign.name, 24)}-${hash}-${what}-a${attempt}`;
}

export interface TaskJobInput {
  campaign: CampaignRef;
  task: Task;
  attempt: number;
  /** The digest of the task's settings (the experiment or the pre-training) in the store. */
  settingsDigest: string;
  defaults: JobDefaults;
  overrides?: ClusterSpec;
}

/**
 * The Job that runs one attempt of a task: the driver, with its settings named by digest in the
 * shared store. The planner counts attempts (one Job each), so the Job itself never retries a
 * failed pod; evictions and node drains are not the task's fault and get a new pod; bad input
 * fails the Job at once, and the controller does not retry it.
 */
export function taskJob(input: TaskJobInput): Record<string, unknown> {
  const { campaign, task, attempt, defaults } = input;
  const overrides = input.overrides ?? {};
  const labels: Record<string, string> = {
    'app.kubernetes.io/name': 'lth-driver',
    'app.kubernetes.io/part-of': 'lth',
    'app.kubernetes.io/managed-by': 'lth-controller',
    'app.kubernetes.io/component': task.kind,
    [LABELS.campaign]: campaign.name,
    [LABELS.attempt]: String(attempt),
  };
  if (task.kind === 'round') {
    labels[LABELS.experiment] = task.experiment.id;
    labels[LABELS.round] = String(task.round);
  } else if (task.kind === 'branch') {
    // The experiment too: a failed branch makes the controller read that experiment's rounds again.
    labels[LABELS.branch] = task.run.id;
    labels[LABELS.experiment] = task.run.experiment.id;
  } else {
    labels[LABELS.pretraining] = task.pretraining.id;
  }
  const ref = taskRefOf(task, input.settingsDigest);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(campaign, task, attempt),
      namespace: campaign.namespace,
      labels,
      ownerReferences: [
        {
          apiVersion: `${CAMPAIGN_GROUP}/${CAMPAIGN_VERSION}`,
          kind: CAMPAIGN_KIND,
          name: campaign.name,
          uid: campaign.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: defaults.activeDeadlineSeconds,
      ttlSecondsAfterFinished: defaults.ttlSecondsAfterFinished,
      podFailurePolicy: {
        rules: [
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
          {
            action: 'FailJob',
            onExitCodes: { containerName: DRIVER_CONTAINER, operator: 'In', values: [DRIVER_EXIT.badInput] },
          },
        ],
      },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: overrides.serviceAccount ?? defaults.serviceAccount,
          automountServiceAccountToken: false,
          nodeSelector: overrides.nodeSelector ?? defaults.nodeSelector,
          tolerations: overrides.tolerations ?? defaults.tolerations,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            fsGroup: 1000,
            // Only chown the store when its root is not ours yet: it is never walked at each start.
            fsGroupChangePolicy: 'OnRootMismatch',
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: DRIVER_CONTAINER,
              image: overrides.image ?? defaults.image,
              // The driver writes the finished task and its record's digest here; kubectl describe
              // shows it, or, when an attempt failed, the driver's last log lines.
              terminationMessagePath: TERMINATION_LOG,
              terminationMessagePolicy: 'FallbackToLogsOnError',
              command: [DRIVER_PROGRAM],
              args: [...driverArgs(ref, defaults.services, defaults.storePath), '--termination-log', TERMINATION_LOG],
              env: [{ name: 'LTH_STORE', value: defaults.storePath }],
              resources: overrides.resources ?? defaults.resources,
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [{ name: 'store', mountPath: defaults.storeMount }],
            },
          ],
          volumes: [{ name: 'store', persistentVolumeClaim: { claimName: defaults.storeClaim } }],
        },
      },
    },
  };
}

/** What the controller reads of a task Job (a structural subset of client-node's V1Job). */
export interface JobView {
  metadata?: { name?: string; labels?: Record<string, string> };
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    completionTime?: string | Date;
  };
}

export type JobState = 'active' | 'succeeded' | 'failed';

export function jobState(job: JobView): { state: JobState; message: string; permanent: boolean } {
  const conditions = job.status?.conditions ?? [];
  const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) {
    const message = [failed.reason, failed.message].filter(Boolean).join(': ') || 'its Job failed';
    // podFailurePolicy's FailJob: the driver's bad-input exit code. Retrying cannot help.
    return { state: 'failed', message, permanent: failed.reason === 'PodFailurePolicy' };
  }
  if (conditions.some((c) => c.type === 'Complete' && c.status === 'True'))
    return { state: 'succeeded', message: '', permanent: false };
  return { state: 'active', message: '', permanent: false };
}

function taskKeyOfJob(labels: Record<string, string>): string | undefined {
  const branch = labels[LABELS.branch];
  if (branch) return `branch/${branch}`;
  const experiment = labels[LABELS.experiment];
  const round = labels[LABELS.round];
  if (experiment && round !== undefined) return `round/${experiment}/${round}`;
  const pretraining = labels[LABELS.pretraining];
  return pretraining ? `pretraining/${pretraining}` : undefined;
}

/**
 * How long a Job may have completed before its record shows in the store. On NFS or EFS, attribute
 * caching delays what another node sees by tens of seconds; until then the attempt still counts as
 * running.
 */
export const STORE_VISIBILITY_GRACE_MS = 120_000;

/**
 * The planner's view of a campaign's Jobs: attempts by task key. A Job that completed while the
 * store has no record of its task counts as running for a grace period (the record may be late to
 * show on a network filesystem), then as a failed attempt (the next attempt's driver finds the
 * record if it was only late, and finishes at once).
 */
export function attemptsOfJobs(
  jobs: readonly JobView[],
  clock: { now: number; graceMs: number } = { now: Date.now(), graceMs: STORE_VISIBILITY_GRACE_MS },
): Map<string, TaskAttempts> {
  const latest = new Map<string, { attempt: number; job: JobView }>();
  for (const job of jobs) {
    const labels = job.metadata?.labels ?? {};
    const key = taskKeyOfJob(labels);
    const attempt = Number(labels[LABELS.attempt] ?? 1);
    if (!key) continue;
    const seen = latest.get(key);
    if (!seen || attempt > seen.attempt) latest.set(key, { attempt, job });
  }
  const out = new Map<string, TaskAttempts>();
  for (const [key, { attempt, job }] of latest) {
    const { state, message, permanent } = jobState(job);
    if (state === 'active') out.set(key, { started: attempt, running: true });
    else if (state === 'failed') out.set(key, { started: attempt, running: false, failure: { message, permanent } });
    else {
      const completed = job.status?.completionTime ? new Date(job.status.completionTime).getTime() : 0;
      if (clock.now - completed < clock.graceMs) out.set(key, { started: attempt, running: true });
      else {
        const late = `its Job completed but the store has shown no record of it for ${clock.graceMs / 1000} s`;
        out.set(key, { started: attempt, running: false, failure: { message: late, permanent: false } });
      }
    }
  }
  return out;
}

/**
 * Whether a Job has completed while the store shows no record of its task yet: the one change a
 * watch does not announce (the record appears later, on a network filesystem).
 */
export function awaitingRecord(jobs: readonly JobView[], progress: StoreProgress): boolean {
  return jobs.some((job) => {
    if (jobState(job).state !== 'succeeded') return false;
    const labels = job.metadata?.labels ?? {};
    const branch = labels[LABELS.branch];
    if (branch) return !progress.branchesDone?.has(branch);
    const experiment = labels[LABELS.experiment];
    if (experiment) return (progress.roundsDone.get(experiment) ?? 0) <= Number(labels[LABELS.round]);
    const pretraining = labels[LABELS.pretraining];
    return pretraining !== undefined && !progress.pretrainingsDone.has(pretraining);
  });
}

/**
 * Running Jobs whose task the campaign no longer asks for (its spec changed: an experiment removed,
 * fewer rounds): the controller deletes them, so a changed spec never leaves work running for it.
 */
export function obsoleteJobs<J extends JobView>(
  jobs: readonly J[],
  experiments: readonly Experiment[],
  lastRound: number,
  branchRuns: readonly BranchRun[] = [],
): J[] {
  const wanted = new Set<string>();
  for (const e of experiments) {
    wanted.add(taskKey({ kind: 'pretraining', pretraining: e.settings.pretraining }));
    for (let round = 0; round <= lastRound; round++) wanted.add(taskKey({ kind: 'round', experiment: e, round }));
  }
  for (const run of branchRuns) wanted.add(taskKey({ kind: 'branch', run }));
  return jobs.filter((j) => {
    const key = taskKeyOfJob(j.metadata?.labels ?? {});
    return key !== undefined && !wanted.has(key) && jobState(j).state === 'active';
  });
}

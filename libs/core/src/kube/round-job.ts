import type { ClusterSpec } from '../spec/campaign-schema';
import { CAMPAIGN_GROUP, CAMPAIGN_KIND, CAMPAIGN_VERSION } from './campaign-crd';
import { jobName, type ClusterTask } from './plan-jobs';

/** Cluster-wide defaults for round Jobs (the controller's config); a campaign's `cluster` overrides them. */
export interface JobDefaults {
  image: string;
  serviceAccount: string;
  nodeSelector: Record<string, string>;
  tolerations: NonNullable<ClusterSpec['tolerations']>;
  resources: NonNullable<ClusterSpec['resources']>;
  /** Pod retries before the Job (and its experiment) fails. */
  backoffLimit: number;
  activeDeadlineSeconds: number;
  ttlSecondsAfterFinished: number;
  storeClaim: string;
  /** Where the claim is mounted, and the store under it (as in the service pods). */
  storeMount: string;
  storePath: string;
  services: { data: string; pruning: string; finetune: string; evaluation: string };
}

export const DEFAULT_JOB_SETTINGS: JobDefaults = {
  image: 'ghcr.io/lth-dev/lth:0.1.0-cpu',
  serviceAccount: 'lth-round',
  nodeSelector: {},
  tolerations: [],
  resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '1Gi' } },
  backoffLimit: 2,
  activeDeadlineSeconds: 24 * 3600,
  ttlSecondsAfterFinished: 7 * 24 * 3600,
  storeClaim: 'lth-store',
  storeMount: '/var/lib/lth',
  storePath: '/var/lib/lth/store',
  services: { data: 'dns:///lth-data:50051', pruning: 'dns:///lth-pruning:50052', finetune: 'dns:///lth-finetune:50053', evaluation: 'dns:///lth-evaluation:50054' },
};

export const LABELS = {
  campaign: `${CAMPAIGN_GROUP}/campaign`,
  experiment: `${CAMPAIGN_GROUP}/experiment`,
  round: `${CAMPAIGN_GROUP}/round`,
  pretraining: `${CAMPAIGN_GROUP}/pretraining`,
} as const;

/** Exit code of the round driver on bad input: the Job fails at once instead of retrying. */
export const DRIVER_BAD_INPUT_EXIT_CODE = 2;

export interface CampaignRef {
  name: string;
  namespace: string;
  uid: string;
}

/**
 * The Job that runs one task: the round driver (`lth round ...`), the same command the local
 * executor runs, with its settings named by digest in the shared store.
 */
export function roundJob(campaign: CampaignRef, task: ClusterTask, taskDigest: string, defaults: JobDefaults, overrides: ClusterSpec = {}): Record<string, unknown> {
  const name = jobName(campaign.name, task);
  const labels: Record<string, string> = {
    'app.kubernetes.io/name': 'lth-round',
    'app.kubernetes.io/part-of': 'lth',
    'app.kubernetes.io/managed-by': 'lth-controller',
    'app.kubernetes.io/component': task.kind,
    [LABELS.campaign]: campaign.name,
  };
  if (task.kind === 'round') {
    labels[LABELS.experiment] = task.experiment.id;
    labels[LABELS.round] = String(task.round);
  } else {
    labels[LABELS.pretraining] = task.plan.id;
  }
  const taskArgs = task.kind === 'round' ? ['--experiment', taskDigest, '--round', String(task.round)] : ['--pretraining', taskDigest];
  const s = defaults.services;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: campaign.namespace,
      labels,
      ownerReferences: [{ apiVersion: `${CAMPAIGN_GROUP}/${CAMPAIGN_VERSION}`, kind: CAMPAIGN_KIND, name: campaign.name, uid: campaign.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      backoffLimit: defaults.backoffLimit,
      activeDeadlineSeconds: defaults.activeDeadlineSeconds,
      ttlSecondsAfterFinished: defaults.ttlSecondsAfterFinished,
      podFailurePolicy: {
        rules: [
          // Evictions, preemption and node drains are not the round's fault.
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
          { action: 'FailJob', onExitCodes: { containerName: 'round', operator: 'In', values: [DRIVER_BAD_INPUT_EXIT_CODE] } },
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
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'round',
              image: overrides.image ?? defaults.image,
              args: ['round', ...taskArgs, '--store', defaults.storePath, '--data', s.data, '--pruning', s.pruning, '--finetune', s.finetune, '--evaluation', s.evaluation],
              env: [{ name: 'LTH_STORE', value: defaults.storePath }],
              resources: overrides.resources ?? defaults.resources,
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'store', mountPath: defaults.storeMount }],
            },
          ],
          volumes: [{ name: 'store', persistentVolumeClaim: { claimName: defaults.storeClaim } }],
        },
      },
    },
  };
}

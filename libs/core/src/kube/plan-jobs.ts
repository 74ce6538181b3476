import type { Experiment, PretrainingPlan } from '../spec/expand-campaign';

/** A unit of cluster work: one pre-training, or one IMP round of one experiment. */
export type ClusterTask = { kind: 'pretrain'; plan: PretrainingPlan } | { kind: 'round'; experiment: Experiment; round: number };

/** What the controller sees of a Job it owns. */
export interface ObservedJob {
  name: string;
  state: 'active' | 'succeeded' | 'failed';
  /** Why it failed (the Job's Failed condition message). */
  message?: string;
}

/** What the artifact store says is finished. */
export interface StoreProgress {
  pretrainingsDone: ReadonlySet<string>;
  /** experiment id -> finished rounds (rounds 0..n-1 done means n). */
  roundsDone: ReadonlyMap<string, number>;
}

export interface ExperimentState {
  experiment: Experiment;
  state: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  roundsDone: number;
  message: string;
}

export interface JobPlan {
  /** Tasks whose Jobs should exist and do not, in order, within the limits. */
  create: ClusterTask[];
  running: number;
  experiments: ExperimentState[];
  failedPretrainings: { plan: PretrainingPlan; message: string }[];
}

function shorten(name: string, max: number): string {
  return name.length <= max ? name : name.slice(0, max).replace(/-+$/, '');
}

/** Deterministic, DNS-1123 and at most 52 characters (so pod names derived from it fit in 63). */
export function jobName(campaign: string, task: ClusterTask): string {
  const prefix = shorten(campaign, 30);
  return task.kind === 'pretrain' ? `${prefix}-pre-${task.plan.id.slice(0, 12)}` : `${prefix}-${task.experiment.id.slice(0, 12)}-r${task.round}`;
}

/**
 * The desired Jobs of a campaign, from what the store has finished and which Jobs exist.
 * Level-triggered: the same inputs always give the same plan, and a finished round (in the
 * store) never gets a Job again. A failed Job (its pod retries exhausted) fails its experiment.
 */
export function planJobs(campaign: string, experiments: readonly Experiment[], plans: readonly PretrainingPlan[], progress: StoreProgress, jobs: ReadonlyMap<string, ObservedJob>, slots: number): JobPlan {
  const create: ClusterTask[] = [];
  let running = 0;
  const failedPlans = new Map<string, string>();
  const readyPlans = new Set<string>();
  const consider = (task: ClusterTask): ObservedJob | undefined => {
    const job = jobs.get(jobName(campaign, task));
    if (!job) create.push(task);
    else if (job.state === 'active') running++;
    return job;
  };
  for (const plan of plans) {
    if (progress.pretrainingsDone.has(plan.id)) {
      readyPlans.add(plan.id);
      continue;
    }
    const job = consider({ kind: 'pretrain', plan });
    if (job?.state === 'failed') failedPlans.set(plan.id, `pre-training ${plan.name} failed: ${job.message ?? 'its Job failed'}`);
    if (job?.state === 'succeeded') failedPlans.set(plan.id, `pre-training ${plan.name} finished without a record in the store`);
  }
  const states: ExperimentState[] = experiments.map((experiment) => {
    const total = experiment.settings.rounds + 1;
    const done = Math.min(progress.roundsDone.get(experiment.id) ?? 0, total);
    if (done >= total) return { experiment, state: 'Succeeded', roundsDone: done, message: '' };
    const planFailure = failedPlans.get(experiment.settings.pretraining.id);
    if (planFailure) return { experiment, state: 'Failed', roundsDone: done, message: planFailure };
    if (!readyPlans.has(experiment.settings.pretraining.id)) return { experiment, state: 'Pending', roundsDone: done, message: `waiting for pre-training ${experiment.settings.pretraining.name}` };
    const job = consider({ kind: 'round', experiment, round: done });
    if (job?.state === 'failed') return { experiment, state: 'Failed', roundsDone: done, message: `round ${done} failed: ${job.message ?? 'its Job failed'}` };
    if (job?.state === 'succeeded') return { experiment, state: 'Failed', roundsDone: done, message: `round ${done} finished without a record in the store` };
    return { experiment, state: job ? 'Running' : 'Pending', roundsDone: done, message: '' };
  });
  return {
    create: create.slice(0, Math.max(0, slots - running)),
    running,
    experiments: states,
    failedPretrainings: [...failedPlans].map(([id, message]) => ({ plan: plans.find((p) => p.id === id)!, message })),
  };
}

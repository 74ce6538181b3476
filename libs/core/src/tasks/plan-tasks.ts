import { describeBranch, type BranchRun } from '../spec/branch-runs';
import type { Experiment, Pretraining } from '../spec/expand-campaign';
import { describeTask, taskKey, type Task } from './task';

/** What an executor has seen of one task's attempts (a child process or a Job each). */
export interface TaskAttempts {
  /** Attempts started so far: 1 after the first start. */
  started: number;
  /** The latest attempt is still running. */
  running: boolean;
  /** Why the latest attempt failed; `permanent` when retrying cannot help (bad input). */
  failure?: { message: string; permanent: boolean };
}

/** What the artifact store says is finished. */
export interface StoreProgress {
  pretrainingsDone: ReadonlySet<string>;
  /** experiment id -> finished rounds (rounds 0..n-1 done means n). */
  roundsDone: ReadonlyMap<string, number>;
  /** Branch run ids whose record is in the store. */
  branchesDone?: ReadonlySet<string>;
}

export interface PlanInput {
  experiments: readonly Experiment[];
  /** The last round the campaign asks for. */
  lastRound: number;
  /** The branches the campaign asks for (`branchRunsOf`); each starts once its round has finished. */
  branchRuns?: readonly BranchRun[];
  progress: StoreProgress;
  /** By task key. */
  attempts: ReadonlyMap<string, TaskAttempts>;
  maxAttempts: number;
  /** Tasks of this campaign at once. */
  parallelism: number;
  /** Tasks that may start across campaigns (a cluster-wide limit less what runs); no limit when unset. */
  globalFree?: number;
}

export type ExperimentState = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export interface ExperimentProgress {
  experiment: Experiment;
  state: ExperimentState;
  roundsDone: number;
  /** Of the branches the campaign asks for of this experiment. */
  branchesDone: number;
  branches: number;
  message: string;
}

export interface TaskPlan {
  /** Tasks to start now, in order, within the limits, each with its attempt number (1, 2, ...). */
  start: { task: Task; attempt: number }[];
  running: number;
  /** Tasks ready to start that the limits held back. */
  held: number;
  /** Whether the global limit (not the campaign's own parallelism) held tasks back. */
  heldByGlobalLimit: boolean;
  experiments: ExperimentProgress[];
  /** Pre-trainings whose attempts are used up: their experiments fail. */
  failedPretrainings: { pretraining: Pretraining; message: string }[];
  /** Every task whose attempts are used up (or that got bad input), by key: what a status remembers. */
  failedTasks: Map<string, TaskAttempts>;
}

/** Whether a failed task gets another attempt. */
export function mayRetry(attempts: TaskAttempts, maxAttempts: number): boolean {
  return !attempts.failure?.permanent && attempts.started < maxAttempts;
}

/**
 * The one planner of both executors (the local runner and the Kubernetes controller): what
 * runs next. A pre-training comes before its experiments, round n after round n-1 (a round is
 * done when its record is in the store); a failed task is retried until its attempts are used
 * up, never after bad input; at most `parallelism` tasks of a campaign run at once, and no more
 * than `globalFree` start. Pure and level-triggered: the same inputs give the same plan.
 */
export function planTasks(input: PlanInput): TaskPlan {
  const { progress, attempts, maxAttempts } = input;
  const candidates: { task: Task; attempt: number }[] = [];
  const failedTasks = new Map<string, TaskAttempts>();
  let running = 0;
  const consider = (task: Task): { state: 'running' | 'failed' | 'waiting'; message: string } => {
    const seen = attempts.get(taskKey(task));
    if (seen?.running) {
      running++;
      return { state: 'running', message: '' };
    }
    if (seen?.failure && !mayRetry(seen, maxAttempts)) {
      failedTasks.set(taskKey(task), seen);
      return { state: 'failed', message: seen.failure.message };
    }
    candidates.push({ task, attempt: (seen?.started ?? 0) + 1 });
    const retrying = seen?.failure ? `attempt ${seen.started} failed (${seen.failure.message}); retrying` : '';
    return { state: 'waiting', message: retrying };
  };

  const failedPretrainings = new Map<string, { pretraining: Pretraining; message: string }>();
  const pretrainings = new Map<string, Pretraining>();
  for (const e of input.experiments) pretrainings.set(e.settings.pretraining.id, e.settings.pretraining);
  for (const pretraining of pretrainings.values()) {
    if (progress.pretrainingsDone.has(pretraining.id)) continue;
    const task: Task = { kind: 'pretraining', pretraining };
    const seen = consider(task);
    if (seen.state === 'failed')
      failedPretrainings.set(pretraining.id, { pretraining, message: `${describeTask(task)} failed: ${seen.message}` });
  }

  const total = input.lastRound + 1;
  const branchesDone = progress.branchesDone ?? new Set<string>();
  const branchesOf = new Map<string, BranchRun[]>();
  for (const run of input.branchRuns ?? []) {
    const list = branchesOf.get(run.experiment.id) ?? [];
    list.push(run);
    branchesOf.set(run.experiment.id, list);
  }
  const experiments = input.experiments.map((experiment): ExperimentProgress => {
    const done = Math.min(progress.roundsDone.get(experiment.id) ?? 0, total);
    const branches = branchesOf.get(experiment.id) ?? [];
    const branchCount = {
      branchesDone: branches.filter((b) => branchesDone.has(b.id)).length,
      branches: branches.length,
    };
    const pretraining = experiment.settings.pretraining;
    const failure = failedPretrainings.get(pretraining.id);
    if (done < total && failure)
      return { experiment, state: 'Failed', roundsDone: done, ...branchCount, message: failure.message };
    if (done < total && !progress.pretrainingsDone.has(pretraining.id)) {
      const message = `waiting for pre-training ${pretraining.name}`;
      return { experiment, state: 'Pending', roundsDone: done, ...branchCount, message };
    }
    const states: { state: 'running' | 'failed' | 'waiting'; message: string }[] = [];
    if (done < total) {
      const seen = consider({ kind: 'round', experiment, round: done });
      states.push({
        ...seen,
        message: seen.state === 'failed' ? `round ${done} failed: ${seen.message}` : seen.message,
      });
    }
    // A branch needs only its round: it runs beside the rounds after it.
    for (const run of branches) {
      if (run.round >= done || branchesDone.has(run.id)) continue;
      const seen = consider({ kind: 'branch', run });
      const what = describeBranch(run);
      states.push({ ...seen, message: seen.state === 'failed' ? `${what} failed: ${seen.message}` : seen.message });
    }
    const failed = states.find((t) => t.state === 'failed');
    if (failed) return { experiment, state: 'Failed', roundsDone: done, ...branchCount, message: failed.message };
    if (done >= total && branchCount.branchesDone === branchCount.branches)
      return { experiment, state: 'Succeeded', roundsDone: done, ...branchCount, message: '' };
    const state = states.some((t) => t.state === 'running') ? 'Running' : 'Pending';
    const message = states.find((t) => t.message)?.message ?? '';
    return { experiment, state, roundsDone: done, ...branchCount, message };
  });

  const own = input.parallelism - running;
  const free = Math.max(0, Math.min(own, input.globalFree ?? Infinity));
  const start = candidates.slice(0, free);
  const held = candidates.length - start.length;
  return {
    start,
    running,
    held,
    heldByGlobalLimit: held > 0 && free < own,
    experiments,
    failedPretrainings: [...failedPretrainings.values()],
    failedTasks,
  };
}

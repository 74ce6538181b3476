import {
  branchRunsOf,
  expandCampaign,
  taskRefOf,
  taskSettings,
  taskSubject,
  lastRound,
  mayRetry,
  planTasks,
  pretrainingsOf,
  taskKey,
  type CampaignResults,
  type CampaignSpec,
  type Experiment,
  type ServiceAddresses,
  type Task,
  type TaskAttempts,
} from '@lth/core';
import {
  collectResults,
  finishedRounds,
  refs,
  StoreProgressCache,
  type DriverEvent,
  type OnCorruptRecord,
  type BranchRecord,
  type PretrainingRecord,
} from '@lth/driver';
import { ArtifactCorruptError, type ArtifactStore } from '@lth/store';
import type { CampaignEvent } from './campaign-events';
import { PermanentTaskError, type Executor } from './executor';

export interface CampaignRunOptions {
  executor: Executor;
  store: ArtifactStore;
  /** Service addresses per fine-tuning replica; a task goes to the least busy one. */
  replicas: ServiceAddresses[];
  /** Tasks at once. */
  parallelism: number;
  /** Attempts per task; the campaign's `attempts` when unset. */
  maxAttempts?: number;
  onEvent?: (event: CampaignEvent) => void;
  signal?: AbortSignal;
}

export interface CampaignOutcome {
  results: CampaignResults;
  failed: { experiment: Experiment; error: string }[];
}

function forward(task: Task, event: DriverEvent, emit: (e: CampaignEvent) => void): void {
  switch (event.type) {
    case 'phase':
      return emit({ type: 'phase', task, phase: event.phase });
    case 'progress':
    case 'retrying':
      return emit({ ...event, task });
    case 'round-finished':
      if (task.kind === 'round')
        emit({ type: 'round-finished', experiment: task.experiment, record: event.record, skipped: false });
      return;
    case 'pretraining-finished':
      if (task.kind === 'pretraining') emit({ ...event, pretraining: task.pretraining, skipped: false });
      return;
    case 'branch-finished':
      if (task.kind === 'branch') emit({ ...event, run: task.run, skipped: false });
      return;
  }
}

/** Finished work found in the store before the run starts is reported once, as skipped. */
async function reportFinished(
  spec: CampaignSpec,
  store: ArtifactStore,
  emit: (e: CampaignEvent) => void,
  onCorrupt: OnCorruptRecord,
): Promise<void> {
  const experiments = expandCampaign(spec);
  const readRecord = async <T>(ref: string): Promise<T | undefined> => {
    const digest = await store.getRef(ref);
    if (!digest) return undefined;
    try {
      return await store.getJson<T>(digest);
    } catch (e) {
      if (!(e instanceof ArtifactCorruptError)) throw e;
      onCorrupt(ref, e);
      return undefined;
    }
  };
  for (const pretraining of pretrainingsOf(experiments)) {
    const record = await readRecord<PretrainingRecord>(refs.pretraining(pretraining.id));
    if (record) emit({ type: 'pretraining-finished', pretraining, record, skipped: true });
  }
  for (const experiment of experiments) {
    for (const record of await finishedRounds(store, experiment, lastRound(spec), onCorrupt)) {
      emit({ type: 'round-finished', experiment, record, skipped: true });
    }
  }
  for (const run of branchRunsOf(spec, experiments, lastRound(spec))) {
    const record = await readRecord<BranchRecord>(refs.branch(run.id));
    if (record) emit({ type: 'branch-finished', run, record, skipped: true });
  }
}

/** Where the store says a task has finished. */
function recordRef(task: Task): string {
  switch (task.kind) {
    case 'pretraining':
      return refs.pretraining(task.pretraining.id);
    case 'round':
      return refs.round(task.experiment.id, task.round);
    case 'branch':
      return refs.branch(task.run.id);
  }
}

/**
 * Runs a campaign on this machine: the planner (the same one the Kubernetes controller uses)
 * says what runs next; each attempt is a driver process. Finished work is found in the store and
 * skipped, so rerunning a campaign resumes it, and asking for more rounds continues it.
 */
export async function runCampaign(spec: CampaignSpec, options: CampaignRunOptions): Promise<CampaignOutcome> {
  const { store, executor, replicas, signal } = options;
  const emit = options.onEvent ?? (() => undefined);
  const maxAttempts = options.maxAttempts ?? spec.attempts;
  const experiments = expandCampaign(spec);
  const last = lastRound(spec);
  const branchRuns = branchRunsOf(spec, experiments, last);
  const reported = new Set<string>();
  const onCorrupt: OnCorruptRecord = (ref, e) => {
    // Found by the report of finished work and again by the planner's read: said once.
    if (reported.has(`${ref} ${e.digest}`)) return;
    reported.add(`${ref} ${e.digest}`);
    emit({ type: 'record-corrupt', ref, error: e.message });
  };
  await reportFinished(spec, store, emit, onCorrupt);
  const finished = new StoreProgressCache(onCorrupt);

  const attempts = new Map<string, TaskAttempts>();
  const running = new Map<string, Promise<void>>();
  const busy = replicas.map(() => 0);
  const isDone = async (task: Task) => (await store.getRef(recordRef(task))) !== undefined;
  // A task's settings are written once; its retries name the same digest.
  const settingsDigests = new Map<string, Promise<string>>();
  const settingsDigestOf = (task: Task) => {
    const key = taskKey(task);
    if (!settingsDigests.has(key)) settingsDigests.set(key, store.putJson(taskSettings(task)));
    return settingsDigests.get(key)!;
  };

  const launch = (task: Task, attempt: number) => {
    const key = taskKey(task);
    const replica = busy.indexOf(Math.min(...busy));
    busy[replica]!++;
    attempts.set(key, { started: attempt, running: true });
    emit({ type: 'task-started', task, attempt });
    const fail = (message: string, permanent: boolean) => {
      // What it read may have been withdrawn as corrupt: the store is asked again about it.
      finished.forget(taskSubject(task));
      const seen: TaskAttempts = { started: attempt, running: false, failure: { message, permanent } };
      attempts.set(key, seen);
      emit({
        type: 'task-failed',
        task,
        attempt,
        error: message,
        willRetry: mayRetry(seen, maxAttempts) && !signal?.aborted,
      });
    };
    const done = settingsDigestOf(task)
      .then((digest) =>
        executor.run(taskRefOf(task, digest), replicas[replica]!, (event) => forward(task, event, emit), signal),
      )
      .then(
        async () => {
          if (await isDone(task)) attempts.set(key, { started: attempt, running: false });
          else fail('the driver exited 0 but the store has no record of the task', false);
        },
        (e: Error) => fail(e.message, e instanceof PermanentTaskError),
      )
      .finally(() => {
        running.delete(key);
        busy[replica]!--;
      });
    running.set(key, done);
  };

  const failed = new Map<string, string>();
  for (;;) {
    // Attempts as they were before the store is read: a task that ends while it is read still
    // counts as running, so the planner never starts it again on a read that missed its record.
    const attemptsBefore = new Map(attempts);
    const { progress } = await finished.read(store, experiments, last, { branchRuns });
    const plan = planTasks({
      experiments,
      lastRound: last,
      branchRuns,
      progress,
      attempts: attemptsBefore,
      maxAttempts,
      parallelism: options.parallelism,
    });
    for (const e of plan.experiments) {
      if (e.state !== 'Failed' || failed.has(e.experiment.id)) continue;
      failed.set(e.experiment.id, e.message);
      emit({ type: 'experiment-failed', experiment: e.experiment, error: e.message });
    }
    if (!signal?.aborted) for (const { task, attempt } of plan.start) launch(task, attempt);
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  return {
    results: await collectResults(
      store,
      { name: spec.name, experiments, lastRound: last, matchingRule: spec.analysis.matching, branchRuns },
      onCorrupt,
    ),
    failed: experiments
      .filter((e) => failed.has(e.id))
      .map((experiment) => ({ experiment, error: failed.get(experiment.id)! })),
  };
}

import {
  winningSparsity,
  type ExperimentProgress,
  type ScoredRound,
  type ExperimentState,
  type TaskAttempts,
  type SpecIssue,
} from '@lth/core';
import { CONDITION, REASON, setCondition, type Condition } from './conditions';

export interface ExperimentStatus {
  id: string;
  model: string;
  pretraining: string;
  task: string;
  seed: number;
  state: ExperimentState;
  roundsDone: number;
  rounds: number;
  /** Of the branches the campaign asks for of this experiment (baselines and transfers). */
  branchesDone: number;
  branches: number;
  sparsity: number;
  testAccuracy: number | null;
  winningSparsity: number | null;
  message: string;
}

export interface CampaignStatus {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Invalid';
  observedGeneration: number;
  progress: string;
  experimentsTotal: number;
  experimentsDone: number;
  experimentsFailed: number;
  bestWinningSparsity: number | null;
  conditions: Condition[];
  experiments: ExperimentStatus[];
  /**
   * Tasks whose attempts are used up: remembered here, so a failure outlives its Jobs (deleted by
   * their TTL) and an experiment never silently runs again. Cleared by a retry.
   */
  failedTasks: FailedTask[];
  /** The last `lth.dev/retry` annotation the controller acted on. */
  retry?: string;
}

export interface FailedTask {
  /** The task's key: `pretraining/<id>`, `round/<experiment>/<n>` or `branch/<id>`. */
  task: string;
  attempts: number;
  permanent: boolean;
  message: string;
}

export interface CampaignStatusInput {
  previous: CampaignStatus | undefined;
  generation: number;
  experiments: readonly ExperimentProgress[];
  /** Finished rounds by experiment id, in order. */
  rounds: ReadonlyMap<string, readonly ScoredRound[]>;
  /** The last round the campaign asks for. */
  lastRound: number;
  failedTasks: ReadonlyMap<string, TaskAttempts>;
  retry: string | undefined;
  now: string;
}

type ConditionFields = Pick<Condition, 'type' | 'reason' | 'message'> & { ok: boolean };

/** Sets one condition of a status, observed at `generation`. */
function withCondition(
  conditions: readonly Condition[],
  c: ConditionFields,
  generation: number,
  now: string,
): Condition[] {
  const status = c.ok ? ('True' as const) : ('False' as const);
  return setCondition(
    conditions,
    { type: c.type, status, reason: c.reason, message: c.message, observedGeneration: generation },
    now,
  );
}

/** Status of an invalid campaign: phase Invalid, a Failed condition naming each field at fault. */
export function invalidStatus(
  previous: CampaignStatus | undefined,
  generation: number,
  issues: readonly SpecIssue[],
  now: string,
): CampaignStatus {
  const message = issues.map((i) => `spec.${i.path}: ${i.message}`).join('; ');
  let conditions = previous?.conditions ?? [];
  const set = (c: ConditionFields) => (conditions = withCondition(conditions, c, generation, now));
  set({ type: CONDITION.Created, ok: true, reason: REASON.Accepted, message: 'the controller has seen this campaign' });
  set({ type: CONDITION.Failed, ok: true, reason: REASON.InvalidSpec, message });
  set({
    type: CONDITION.Progressing,
    ok: false,
    reason: REASON.InvalidSpec,
    message: 'nothing runs until the spec is fixed',
  });
  return {
    phase: 'Invalid',
    failedTasks: previous?.failedTasks ?? [],
    ...(previous?.retry !== undefined ? { retry: previous.retry } : {}),
    observedGeneration: generation,
    progress: '0/0',
    experimentsTotal: 0,
    experimentsDone: 0,
    experimentsFailed: 0,
    bestWinningSparsity: null,
    conditions,
    experiments: [],
  };
}

/** Status computed from the experiments' progress (pure: the same inputs give the same status). */
export function campaignStatus(input: CampaignStatusInput): CampaignStatus {
  const { previous, generation, now } = input;
  const states = input.experiments;
  const total = states.length;
  const done = states.filter((s) => s.state === 'Succeeded').length;
  const failed = states.filter((s) => s.state === 'Failed').length;
  const running = states.filter((s) => s.state === 'Running').length;
  const finished = done + failed === total;
  const experiments: ExperimentStatus[] = states.map(({ experiment: e, state, roundsDone, message, ...b }) => {
    const rounds = (input.rounds.get(e.id) ?? []).slice(0, roundsDone);
    const latest = rounds[rounds.length - 1];
    return {
      id: e.id,
      model: e.settings.model,
      pretraining: e.settings.pretraining.name,
      task: e.settings.task,
      seed: e.settings.seed,
      state,
      roundsDone,
      rounds: input.lastRound + 1,
      branchesDone: b.branchesDone,
      branches: b.branches,
      sparsity: latest?.sparsity ?? 0,
      testAccuracy: latest?.testAccuracy ?? null,
      winningSparsity: winningSparsity(rounds),
      message,
    };
  });
  const winning = experiments.map((e) => e.winningSparsity).filter((w): w is number => w !== null);
  const phase: CampaignStatus['phase'] = finished
    ? failed > 0
      ? 'Failed'
      : 'Succeeded'
    : running > 0 || done + failed > 0
      ? 'Running'
      : 'Pending';
  const failures = states
    .filter((s) => s.state === 'Failed')
    .map((s) => `${s.experiment.id}: ${s.message}`)
    .join('; ');
  const progressing = finished ? REASON.AllExperimentsFinished : running > 0 ? REASON.RoundsRunning : REASON.Waiting;
  const failedReason = failed > 0 ? REASON.ExperimentsFailed : REASON.NoFailures;
  let conditions = previous?.conditions ?? [];
  const set = (c: ConditionFields) => (conditions = withCondition(conditions, c, generation, now));
  const complete = finished ? REASON.AllExperimentsFinished : REASON.NotFinished;
  set({ type: CONDITION.Created, ok: true, reason: REASON.Accepted, message: `${total} experiment(s)` });
  set({
    type: CONDITION.Progressing,
    ok: !finished,
    reason: progressing,
    message: `${done}/${total} done, ${running} running`,
  });
  set({ type: CONDITION.Complete, ok: finished, reason: complete, message: `${done}/${total} succeeded` });
  set({ type: CONDITION.Failed, ok: finished && failed > 0, reason: failedReason, message: failures });
  set({ type: CONDITION.Degraded, ok: failed > 0, reason: failedReason, message: failures });
  return {
    phase,
    observedGeneration: generation,
    progress: `${done}/${total}`,
    experimentsTotal: total,
    experimentsDone: done,
    experimentsFailed: failed,
    bestWinningSparsity: winning.length ? Math.max(...winning) : null,
    conditions,
    experiments,
    failedTasks: [...input.failedTasks].map(([task, a]) => ({
      task,
      attempts: a.started,
      permanent: a.failure?.permanent ?? false,
      message: a.failure?.message ?? '',
    })),
    ...(input.retry !== undefined ? { retry: input.retry } : {}),
  };
}

/** A user asks a campaign to retry its failed tasks by setting this annotation to a new value. */
export const RETRY_ANNOTATION = 'lth.dev/retry';

/**
 * The planner's attempts from the Jobs that exist, plus the failures the status remembers: a failed
 * Job deleted by its TTL forgets nothing, so its experiment does not silently run again.
 */
export function withRememberedFailures(
  fromJobs: ReadonlyMap<string, TaskAttempts>,
  remembered: readonly FailedTask[],
): Map<string, TaskAttempts> {
  const out = new Map(fromJobs);
  for (const f of remembered) {
    const seen = out.get(f.task);
    if (seen?.running || (seen && seen.started >= f.attempts)) continue;
    out.set(f.task, { started: f.attempts, running: false, failure: { message: f.message, permanent: f.permanent } });
  }
  return out;
}

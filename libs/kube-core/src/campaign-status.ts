import { winningSparsity, type ExperimentProgress, type ScoredRound, type ExperimentState, type SpecIssue } from '@lth/core';
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
}

export interface CampaignStatusInput {
  previous: CampaignStatus | undefined;
  generation: number;
  experiments: readonly ExperimentProgress[];
  /** Finished rounds by experiment id, in order. */
  rounds: ReadonlyMap<string, readonly ScoredRound[]>;
  /** The last round the campaign asks for. */
  lastRound: number;
  now: string;
}

const cond = (type: Condition['type'], ok: boolean, reason: string, message: string, generation: number) => ({
  type,
  status: ok ? ('True' as const) : ('False' as const),
  reason,
  message,
  observedGeneration: generation,
});

/** Status of an invalid campaign: phase Invalid, a Failed condition naming each field at fault. */
export function invalidStatus(previous: CampaignStatus | undefined, generation: number, issues: readonly SpecIssue[], now: string): CampaignStatus {
  const message = issues.map((i) => `spec.${i.path}: ${i.message}`).join('; ');
  let conditions = previous?.conditions ?? [];
  conditions = setCondition(conditions, cond(CONDITION.Created, true, REASON.Accepted, 'the controller has seen this campaign', generation), now);
  conditions = setCondition(conditions, cond(CONDITION.Failed, true, REASON.InvalidSpec, message, generation), now);
  conditions = setCondition(conditions, cond(CONDITION.Progressing, false, REASON.InvalidSpec, 'nothing runs until the spec is fixed', generation), now);
  return { phase: 'Invalid', observedGeneration: generation, progress: '0/0', experimentsTotal: 0, experimentsDone: 0, experimentsFailed: 0, bestWinningSparsity: null, conditions, experiments: [] };
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
  const experiments: ExperimentStatus[] = states.map(({ experiment: e, state, roundsDone, message }) => {
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
  const set = (type: Condition['type'], ok: boolean, reason: string, message: string) =>
    (conditions = setCondition(conditions, cond(type, ok, reason, message, generation), now));
  set(CONDITION.Created, true, REASON.Accepted, `${total} experiment(s)`);
  set(CONDITION.Progressing, !finished, progressing, `${done}/${total} done, ${running} running`);
  set(CONDITION.Complete, finished, finished ? REASON.AllExperimentsFinished : REASON.NotFinished, `${done}/${total} succeeded`);
  set(CONDITION.Failed, finished && failed > 0, failedReason, failures);
  set(CONDITION.Degraded, failed > 0, failedReason, failures);
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
  };
}

import { aggregateBranches, type BranchAggregate, type BranchResult } from './branch-aggregates';
import { meanAndStd } from './statistics';

/** A finished round, as far as the science needs it. */
export interface ScoredRound {
  round: number;
  sparsity: number;
  /** Null where a round has nothing to score (a contrastive pre-training ticket: no labels). */
  testAccuracy: number | null;
}

/** What aggregation reads of an experiment's results. */
export interface ReplicateResult {
  model: string;
  pretraining: string;
  task: string;
  rewind: string;
  /** Downstream IMP, or pre-training tickets (absent: downstream). */
  objective?: 'downstream' | 'pretraining';
  seed: number;
  rounds: readonly ScoredRound[];
  /** Its branches' results, averaged into the setting's `branches` (transfers aside). */
  branches?: readonly BranchResult[];
}

/**
 * When a pruned round counts as matching over replicates (the paper: "no worse than the dense model
 * over the runs"). `mean`: its mean accuracy is at least the dense mean. `within-one-std`: its mean plus
 * one (sample) standard deviation is; the looser reading some follow-up work uses.
 */
export const MATCHING_RULES = ['mean', 'within-one-std'] as const;
export type MatchingRule = (typeof MATCHING_RULES)[number];

/** One round of a setting, over the replicates that finished it. */
export interface AggregateRound {
  round: number;
  /** Sparsity is the same for every replicate of a round (up to rounding): its mean. */
  sparsity: number;
  meanAccuracy: number;
  /** Sample standard deviation (n - 1); null with one replicate. */
  stdAccuracy: number | null;
  replicates: number;
  /** Null for round 0 (dense), and until every replicate has finished this round and round 0. */
  matching: boolean | null;
}

/** The replicates (seeds) of one setting: same model, pre-training, task and rewind point. */
export interface SettingAggregate {
  model: string;
  pretraining: string;
  task: string;
  rewind: string;
  /** Downstream IMP, or pre-training tickets (whose task is the pre-training's dataset). */
  objective: 'downstream' | 'pretraining';
  seeds: number[];
  denseMeanAccuracy: number | null;
  denseStdAccuracy: number | null;
  /** The sparsest matching round's sparsity under the rule; null when none is. */
  winningSparsity: number | null;
  rounds: AggregateRound[];
  /** The baselines, per kind and round. */
  branches: BranchAggregate[];
}

/**
 * Experiments grouped into settings (everything but the seed), averaged round by round over the
 * replicates that finished that round, with matching and the winning ticket decided on the means.
 * Pure: the same results give the same aggregates, in the order the settings first appear.
 */
export function aggregateReplicates(
  experiments: readonly ReplicateResult[],
  rule: MatchingRule = 'mean',
): SettingAggregate[] {
  const groups = new Map<string, ReplicateResult[]>();
  for (const e of experiments) {
    const key = JSON.stringify([e.model, e.pretraining, e.task, e.rewind, e.objective ?? 'downstream']);
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return [...groups.values()].map((replicates) => {
    const { model, pretraining, task, rewind, objective = 'downstream' } = replicates[0]!;
    const byRound = new Map<number, { sparsity: number[]; accuracy: number[] }>();
    for (const e of replicates)
      for (const r of e.rounds) {
        if (r.testAccuracy === null) continue; // nothing to average
        const at = byRound.get(r.round) ?? { sparsity: [], accuracy: [] };
        at.sparsity.push(r.sparsity);
        at.accuracy.push(r.testAccuracy);
        byRound.set(r.round, at);
      }
    const dense = byRound.get(0);
    const denseStats = dense ? meanAndStd(dense.accuracy) : undefined;
    const rounds: AggregateRound[] = [...byRound.entries()]
      .sort(([a], [b]) => a - b)
      .map(([round, at]) => {
        const { mean, std } = meanAndStd(at.accuracy);
        const slack = rule === 'within-one-std' ? (std ?? 0) : 0;
        return {
          round,
          sparsity: meanAndStd(at.sparsity).mean,
          meanAccuracy: mean,
          stdAccuracy: std,
          replicates: at.accuracy.length,
          matching:
            round === 0 || !dense || dense.accuracy.length < replicates.length || at.accuracy.length < replicates.length
              ? null
              : mean + slack >= denseStats!.mean,
        };
      });
    const matching = rounds.filter((r) => r.matching === true);
    return {
      model,
      pretraining,
      task,
      rewind,
      objective,
      seeds: replicates.map((e) => e.seed),
      denseMeanAccuracy: denseStats?.mean ?? null,
      denseStdAccuracy: denseStats?.std ?? null,
      winningSparsity: matching.length > 0 ? Math.max(...matching.map((r) => r.sparsity)) : null,
      rounds,
      branches: aggregateBranches(replicates.map((e) => ({ branches: e.branches ?? [] }))),
    };
  });
}

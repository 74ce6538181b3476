import { aggregateBranches } from './branch-aggregates';
import type { AggregateRound, BranchResult, MatchingRule, ScoredRound, SettingAggregate } from './results';
import { meanAndStd } from './statistics';

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

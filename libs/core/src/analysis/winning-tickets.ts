import { settingKeyOf, sameSetting, type SettingKey } from './accuracy-curves';
import type { CampaignResults, MatchingRule } from './results';
import { meanAndStd } from './statistics';

/** One rung of the sparsity ladder (one IMP round) of a setting, over replicates. */
export interface LadderRung {
  round: number;
  sparsity: number;
  meanAccuracy: number;
  matching: boolean | null;
}

/** A row of the paper's Table 2: where a setting's winning ticket sits on the sparsity ladder. */
export interface WinningTicketRow extends SettingKey {
  replicates: number;
  denseMeanAccuracy: number | null;
  denseStdAccuracy: number | null;
  /** The sparsest matching round under `rule`, decided on the replicates' means; null when none is. */
  winningSparsity: number | null;
  rule: MatchingRule;
  /**
   * Each replicate's own winning sparsity (a replicate without a matching round counts as 0: its
   * winning ticket is the dense model), averaged: the paper's "± std" over runs.
   */
  replicateWinningMean: number | null;
  replicateWinningStd: number | null;
  ladder: LadderRung[];
}

/** The winning-ticket table: every scored setting, with its rung-by-rung accuracies and matching. */
export function winningTicketTable(results: CampaignResults): WinningTicketRow[] {
  return results.settings
    .filter((s) => s.rounds.length > 0)
    .map((s) => {
      const replicates = results.experiments.filter((e) => sameSetting(e, s) && e.denseAccuracy !== null);
      const own = meanAndStd(replicates.map((e) => e.winningSparsity ?? 0));
      return {
        ...settingKeyOf(s),
        replicates: s.seeds.length,
        denseMeanAccuracy: s.denseMeanAccuracy,
        denseStdAccuracy: s.denseStdAccuracy,
        winningSparsity: s.winningSparsity,
        rule: results.matchingRule,
        replicateWinningMean: replicates.length > 0 ? own.mean : null,
        replicateWinningStd: replicates.length > 0 ? own.std : null,
        ladder: s.rounds.map(({ round, sparsity, meanAccuracy, matching }) => ({
          round,
          sparsity,
          meanAccuracy,
          matching,
        })),
      };
    });
}

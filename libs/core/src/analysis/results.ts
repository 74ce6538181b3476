import type { BranchResult } from './branch-aggregates';
import type { TransferAggregate } from './transfer-aggregates';
import type { MatchingRule, SettingAggregate } from './replicate-aggregates';

/**
 * A campaign's results. results.json is this shape with one published difference: the dense
 * accuracy (round 0's test accuracy) is written as `baselineAccuracy` there (see
 * resultsJson); the code calls it `denseAccuracy` everywhere. Other tools read these names:
 * change them only with a version bump.
 */
export interface RoundResult {
  round: number;
  sparsity: number;
  density: number;
  remainingWeights: number;
  /** Null where there is nothing to score: a contrastive pre-training ticket (no labels). */
  testAccuracy: number | null;
  testLoss: number | null;
  trainSeconds: number;
  maskDigest: string;
  weightsDigest: string;
  /**
   * Under `selection: best-validation` only: the epoch (0-based) whose validation accuracy was best, that
   * accuracy, and the last epoch's test accuracy (`testAccuracy` is the selected epoch's).
   */
  validationAccuracy?: number;
  selectedEpoch?: number;
  lastTestAccuracy?: number;
}

export interface ExperimentResult {
  id: string;
  model: string;
  pretraining: string;
  task: string;
  seed: number;
  rewind: string;
  /** `downstream` IMP, or `pretraining` tickets (whose task is the pre-training's dataset). */
  objective: 'downstream' | 'pretraining';
  denseAccuracy: number | null;
  winningSparsity: number | null;
  rounds: RoundResult[];
  /** The finished branches of its rounds (baselines and transfers), by round. */
  branches: BranchResult[];
}

export interface CampaignResults {
  campaign: string;
  backend: string;
  experiments: ExperimentResult[];
  /** How `settings` decides matching over replicates. */
  matchingRule: MatchingRule;
  /** The experiments grouped by setting (all but the seed), averaged over their replicates. */
  settings: SettingAggregate[];
  /** Each setting's tickets on other tasks, averaged over replicates (the transfer matrix). */
  transfers: TransferAggregate[];
}

/** results.json: the published field names (`baselineAccuracy` for the dense accuracy). */
export function resultsJson(results: CampaignResults): string {
  const experiments = results.experiments.map(({ denseAccuracy, winningSparsity, rounds, branches, ...identity }) => ({
    ...identity,
    rounds,
    baselineAccuracy: denseAccuracy,
    winningSparsity,
    branches,
  }));
  return JSON.stringify({ ...results, experiments }, null, 2) + '\n';
}

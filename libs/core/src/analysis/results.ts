import { InvalidArgumentError } from '../errors';
import type { BranchKind } from '../spec/branch-runs';
import type { MatchingRule } from '../spec/campaign-schema';

export type { MatchingRule };

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

/** A finished round, as far as the science needs it. */
export interface ScoredRound {
  round: number;
  sparsity: number;
  /** Null where a round has nothing to score (a contrastive pre-training ticket: no labels). */
  testAccuracy: number | null;
}

/** A finished branch of a round, as results.json publishes it. */
export interface BranchResult extends Omit<RoundResult, 'density' | 'testAccuracy' | 'testLoss'> {
  kind: BranchKind;
  /** A branch always trains on labels: it is always scored. */
  testAccuracy: number;
  testLoss: number;
  /** Where it trained and was evaluated: the experiment's task, or a transfer's target. */
  task: string;
}

/** One branch kind at one round of a setting, over the replicates that finished it. */
export interface BranchAggregate {
  kind: BranchKind;
  round: number;
  sparsity: number;
  meanAccuracy: number;
  /** Sample standard deviation; null with one replicate. */
  stdAccuracy: number | null;
  replicates: number;
}

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
 * The transfer of one setting's tickets from where they were found (`from`: a task, or
 * `pretraining-tickets`) to another task (`task`), over replicates.
 */
export type TransferAggregate = SettingAggregate & { from: string };

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

/**
 * Reads results.json back (`lth analyze`, `lth report`): the shape is checked where the analysis reads it,
 * naming the first field at fault, and `baselineAccuracy` becomes `denseAccuracy` again.
 */
export function parseResultsJson(text: string, source = 'results.json'): CampaignResults {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(`${source} is not JSON (${(e as Error).message.slice(0, 120)})`);
  }
  const fail = (path: string, what: string): never => {
    throw new InvalidArgumentError(`${source}: ${path} must be ${what}`);
  };
  const object = (v: unknown, path: string) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(path, 'an object');
  const array = (v: unknown, path: string) => (Array.isArray(v) ? (v as unknown[]) : fail(path, 'a list'));
  const top = object(raw, 'the file');
  for (const key of ['campaign', 'backend', 'matchingRule']) if (typeof top[key] !== 'string') fail(key, 'a string');
  array(top.settings, 'settings');
  array(top.transfers ?? [], 'transfers');
  const experiments = array(top.experiments, 'experiments').map((value, i) => {
    const e = object(value, `experiments[${i}]`);
    for (const key of ['id', 'model', 'pretraining', 'task', 'rewind'])
      if (typeof e[key] !== 'string') fail(`experiments[${i}].${key}`, 'a string');
    if (typeof e.seed !== 'number') fail(`experiments[${i}].seed`, 'a number');
    array(e.rounds, `experiments[${i}].rounds`).forEach((r, j) => {
      const round = object(r, `experiments[${i}].rounds[${j}]`);
      if (typeof round.round !== 'number' || typeof round.sparsity !== 'number')
        fail(`experiments[${i}].rounds[${j}]`, 'a round with a number `round` and `sparsity`');
      if (typeof round.maskDigest !== 'string') fail(`experiments[${i}].rounds[${j}].maskDigest`, 'a string');
    });
    const { baselineAccuracy, ...rest } = e;
    return { objective: 'downstream', branches: [], ...rest, denseAccuracy: baselineAccuracy ?? null };
  });
  return { transfers: [], ...top, experiments } as unknown as CampaignResults;
}

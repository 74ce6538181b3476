import type { BranchKind } from '../spec/branch-runs';
import type { RoundResult } from './results';
import { meanAndStd } from './statistics';

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

export interface WithBranches {
  model: string;
  pretraining: string;
  task: string;
  rewind: string;
  objective?: 'downstream' | 'pretraining';
  seed: number;
  branches: readonly BranchResult[];
}

/** The baselines of a setting's replicates (transfers aside), averaged per kind and round. */
export function aggregateBranches(replicates: readonly Pick<WithBranches, 'branches'>[]): BranchAggregate[] {
  const groups = new Map<string, BranchResult[]>();
  for (const e of replicates)
    for (const b of e.branches) {
      if (b.kind === 'transfer') continue;
      const key = `${b.kind} ${b.round}`;
      groups.set(key, [...(groups.get(key) ?? []), b]);
    }
  return [...groups.values()]
    .map((at) => {
      const { mean, std } = meanAndStd(at.map((b) => b.testAccuracy));
      const sparsity = meanAndStd(at.map((b) => b.sparsity)).mean;
      return {
        kind: at[0]!.kind,
        round: at[0]!.round,
        sparsity,
        meanAccuracy: mean,
        stdAccuracy: std,
        replicates: at.length,
      };
    })
    .sort((a, b) => a.round - b.round || a.kind.localeCompare(b.kind));
}

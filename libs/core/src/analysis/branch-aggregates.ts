import type { BranchAggregate, BranchResult } from './results';
import { meanAndStd } from './statistics';

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

/** A finished round, as far as the science needs it. */
export interface ScoredRound {
  round: number;
  sparsity: number;
  testAccuracy: number;
}

/**
 * The rounds of several replicates (seeds) of one setting, averaged round by round: the paper
 * compares mean accuracies over runs. Only rounds every replicate has finished are averaged.
 */
export function meanOverReplicates(replicates: readonly (readonly ScoredRound[])[]): ScoredRound[] {
  if (replicates.length === 0) return [];
  const common = Math.min(...replicates.map((r) => r.length));
  const out: ScoredRound[] = [];
  for (let i = 0; i < common; i++) {
    const at = replicates.map((r) => r[i]!);
    const mean = (pick: (r: ScoredRound) => number) => at.reduce((sum, r) => sum + pick(r), 0) / at.length;
    out.push({ round: at[0]!.round, sparsity: mean((r) => r.sparsity), testAccuracy: mean((r) => r.testAccuracy) });
  }
  return out;
}

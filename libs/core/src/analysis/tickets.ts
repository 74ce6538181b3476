import type { ExperimentResult, RoundResult, ScoredRound } from './results';

/** A subnetwork is matching when it is no worse than the dense model (round 0). */
export function isMatching(round: Pick<RoundResult, 'testAccuracy'>, denseAccuracy: number): boolean {
  return round.testAccuracy !== null && round.testAccuracy >= denseAccuracy;
}

/** Round 0's test accuracy, or null before round 0 has finished. */
export function denseAccuracyOf(rounds: readonly ScoredRound[]): number | null {
  return rounds.find((r) => r.round === 0)?.testAccuracy ?? null;
}

/**
 * The winning ticket: the sparsest pruned subnetwork (round >= 1) that is matching, or null
 * when none is (or round 0 has not run). The one definition: results, status, metrics and the
 * CLI all use it.
 */
export function winningSparsity(rounds: readonly ScoredRound[]): number | null {
  const dense = denseAccuracyOf(rounds);
  if (dense === null) return null;
  let best: number | null = null;
  for (const r of rounds) {
    if (r.round >= 1 && isMatching(r, dense) && (best === null || r.sparsity > best)) best = r.sparsity;
  }
  return best;
}

export function summarizeExperiment(
  base: Omit<ExperimentResult, 'denseAccuracy' | 'winningSparsity'>,
): ExperimentResult {
  const rounds = [...base.rounds].sort((a, b) => a.round - b.round);
  return { ...base, rounds, denseAccuracy: denseAccuracyOf(rounds), winningSparsity: winningSparsity(rounds) };
}

import type { ExperimentResult, RoundResult } from './results';

/** A subnetwork is matching when it is no worse than the dense model (round 0). */
export function isMatching(round: RoundResult, baselineAccuracy: number): boolean {
  return round.testAccuracy >= baselineAccuracy;
}

export function baselineOf(rounds: readonly RoundResult[]): number | null {
  return rounds.find((r) => r.round === 0)?.testAccuracy ?? null;
}

/**
 * The winning ticket: the sparsest pruned subnetwork (round >= 1) that is matching,
 * or null when none is (or round 0 has not run).
 */
export function winningSparsity(rounds: readonly RoundResult[]): number | null {
  const baseline = baselineOf(rounds);
  if (baseline === null) return null;
  let best: number | null = null;
  for (const r of rounds) {
    if (r.round >= 1 && isMatching(r, baseline) && (best === null || r.sparsity > best)) best = r.sparsity;
  }
  return best;
}

export function summarizeExperiment(base: Omit<ExperimentResult, 'baselineAccuracy' | 'winningSparsity'>): ExperimentResult {
  const rounds = [...base.rounds].sort((a, b) => a.round - b.round);
  return { ...base, rounds, baselineAccuracy: baselineOf(rounds), winningSparsity: winningSparsity(rounds) };
}

/**
 * The sparsity ladder of IMP: pruning a fraction `rate` of the remaining weights each round
 * leaves density (1 - rate)^k after k rounds.
 */
export function densityAfter(rounds: number, rate: number): number {
  return Math.pow(1 - rate, rounds);
}

/** Fewest rounds whose sparsity reaches the target. */
export function roundsToReach(targetSparsity: number, rate: number): number {
  // The small slack keeps a target that sits exactly on the ladder (0.36 at 20%) from
  // needing one more round because of floating point.
  return Math.max(1, Math.ceil(Math.log(1 - targetSparsity) / Math.log(1 - rate) - 1e-9));
}

/** The paper's default: 19 rounds of 20% (98.2% sparsity). */
export const DEFAULT_ROUNDS = 19;

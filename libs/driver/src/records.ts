import type { BranchKind } from '@lth/core';

/** What a finished pre-training leaves in the store, under ref `refs.pretraining(id)`. */
export interface PretrainingRecord {
  pretrainingId: string;
  /** θ_p; empty for a campaign that starts from random init. */
  weightsDigest: string;
  trainSeconds: number;
  /** Accuracy on the pre-training dataset's test split, when it was trained here. */
  testAccuracy: number | null;
  backend: string;
}

/** The paper's model selection: the epoch with the best validation accuracy. */
export interface Selection {
  weightsDigest: string;
  epoch: number;
  validationAccuracy: number;
  lastTestAccuracy: number;
}

/**
 * What a finished IMP round leaves in the store, under ref `refs.round(experiment, n)`: what the
 * round *is*. Round n >= 1 starts by pruning round n-1's fine-tuned weights under round n-1's
 * mask; the mask it produces is the mask it trains under. Nothing here describes round n+1, so
 * asking for more rounds later continues from any finished round.
 */
export interface RoundRecord {
  experimentId: string;
  round: number;
  /** The mask this round produced and trained under; empty for the dense round 0. */
  maskDigest: string;
  /** The weights that mask was pruned from (round n-1's fine-tuned weights); empty for round 0. */
  prunedFromDigest: string;
  /** Of the prunable weights, under maskDigest. */
  sparsity: number;
  density: number;
  remainingWeights: number;
  prunableWeights: number;
  /** The fine-tuned weights (a pre-training ticket's round 0: θ_p itself). */
  weightsDigest: string;
  /** Round 0 under `rewind: early`: θ_k, the weights early in its fine-tuning, where later rounds rewind. */
  rewindWeightsDigest?: string;
  /**
   * Under `training.selection: best-validation`: the epoch whose validation accuracy was best, its weights
   * (whose test accuracy is `testAccuracy`) and the last epoch's test accuracy. IMP prunes `weightsDigest`.
   */
  selection?: Selection;
  /** Null where nothing is scored: the rounds of a contrastive pre-training's tickets (no labels). */
  testAccuracy: number | null;
  testLoss: number | null;
  trainSeconds: number;
  backend: string;
}

/**
 * What a finished branch of a round leaves in the store, under ref `refs.branch(id)`: a baseline (random
 * pruning, reversed mask, random re-init, one-shot magnitude) or a transfer of the round's ticket, each
 * fine-tuned and evaluated as the round was, on `task`.
 */
export interface BranchRecord extends Pick<
  RoundRecord,
  | 'experimentId'
  | 'round'
  | 'sparsity'
  | 'remainingWeights'
  | 'prunableWeights'
  | 'weightsDigest'
  | 'trainSeconds'
  | 'backend'
> {
  branchId: string;
  selection?: Selection;
  /** A branch trains and is scored on labels: always a number. */
  testAccuracy: number;
  testLoss: number;
  kind: BranchKind;
  task: string;
  /** The mask it trained under; empty for the dense transfer of round 0. */
  maskDigest: string;
}

/**
 * The store's names for finished work. `v2`: records before it carried the next round's mask
 * and experiment ids that hashed the round count; a store written before is not read (its
 * rounds are recomputed), never mixed in.
 */
export const refs = {
  pretraining: (pretrainingId: string) => `v2/pretrainings/${pretrainingId}`,
  round: (experimentId: string, round: number) => `v2/experiments/${experimentId}/rounds/${round}`,
  branch: (branchId: string) => `v2/branches/${branchId}`,
};

import type { Experiment, PretrainingPlan } from '@lth/core';

/** What a finished pre-training leaves in the store, under ref `pretrainings/<id>`. */
export interface PretrainRecord {
  planId: string;
  /** θ_p; empty for a campaign that starts from random init. */
  weightsDigest: string;
  trainSeconds: number;
  /** Accuracy on the pre-training dataset's test split, when it was trained here. */
  testAccuracy: number | null;
  backend: string;
}

/** What a finished IMP round leaves in the store, under ref `experiments/<id>/rounds/<n>`. */
export interface RoundRecord {
  experimentId: string;
  round: number;
  sparsity: number;
  density: number;
  remainingWeights: number;
  prunableWeights: number;
  testAccuracy: number;
  testLoss: number;
  trainSeconds: number;
  /** The mask this round trained under (empty for the dense round 0). */
  maskDigest: string;
  weightsDigest: string;
  /** The mask for the next round; empty after the last. */
  nextMaskDigest: string;
  nextSparsity: number;
  nextRemainingWeights: number;
  backend: string;
}

export const refs = {
  pretraining: (planId: string) => `pretrainings/${planId}`,
  round: (experimentId: string, round: number) => `experiments/${experimentId}/rounds/${round}`,
};

/** A task names its settings by digest: the driver reads them from the store. */
export type DriverTask =
  | { kind: 'pretrain'; planDigest: string }
  | { kind: 'round'; experimentDigest: string; round: number };

export type StoredPlan = PretrainingPlan;
export type StoredExperiment = Experiment;

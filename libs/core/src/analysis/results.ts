/** The shape of results.json. Other tools read these names: change them only with a version bump. */
export interface RoundResult {
  round: number;
  sparsity: number;
  density: number;
  remainingWeights: number;
  testAccuracy: number;
  testLoss: number;
  trainSeconds: number;
  maskDigest: string;
  weightsDigest: string;
}

export interface ExperimentResult {
  id: string;
  model: string;
  pretraining: string;
  task: string;
  seed: number;
  rewind: string;
  baselineAccuracy: number | null;
  winningSparsity: number | null;
  rounds: RoundResult[];
}

export interface CampaignResults {
  campaign: string;
  backend: string;
  experiments: ExperimentResult[];
}

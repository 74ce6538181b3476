export * from './errors';
export { createRng, deriveSeed, permutation, type Rng } from './random';
export { canonicalJson, settingsId, withoutDefaults } from './canonical';
export { densityAfter, sparsityLadder, roundsToReach, DEFAULT_ROUNDS } from './ladder';
export * from './spec/campaign-schema';
export { parseCampaign, validateCampaign, CampaignSpecError, formatPath, type SpecIssue } from './spec/parse-campaign';
export { checkKnownNames, type KnownNames } from './spec/known-names';
export {
  expandCampaign,
  planPretraining,
  pretrainingsOf,
  resolveRounds,
  experimentIdentity,
  type Experiment,
  type ExperimentSettings,
  type PretrainingPlan,
} from './spec/expand-campaign';
export { type WeightTensor, type MaskTensor, type Mask, sizeOf, countKept } from './pruning/tensors';
export { isPrunable, type PruningPolicy } from './pruning/policy';
export { selectKth } from './pruning/select';
export { denseMask, pruneByMagnitude, checkMaskFits } from './pruning/magnitude';
export { randomMaskLike } from './pruning/random-prune';
export { maskStats, maskOverlap, type MaskStats, type LayerSparsity } from './pruning/sparsity';
export { encodeMask, decodeMask } from './pruning/mask-codec';
export * from './analysis/results';
export { isMatching, baselineOf, winningSparsity, summarizeExperiment } from './analysis/tickets';
export { resultsToCsv } from './analysis/results-csv';
export { encodeWeights, decodeWeights, applyMask, type WeightSpec } from './weights/weights-format';
export { campaignOpenApiSchema } from './kube/campaign-openapi';
export { campaignCrd, CAMPAIGN_GROUP, CAMPAIGN_VERSION, CAMPAIGN_PLURAL, CAMPAIGN_KIND } from './kube/campaign-crd';
export { CONDITION, REASON, setCondition, type Condition, type ConditionType } from './kube/conditions';
export { planJobs, jobName, type ClusterTask, type ObservedJob, type StoreProgress, type ExperimentState, type JobPlan } from './kube/plan-jobs';
export { campaignStatus, invalidStatus, type CampaignStatus, type ExperimentStatus, type ExperimentScience } from './kube/campaign-status';
export { roundJob, DEFAULT_JOB_SETTINGS, LABELS, DRIVER_BAD_INPUT_EXIT_CODE, type JobDefaults, type CampaignRef } from './kube/round-job';

export * from './errors';
export { createRng, deriveSeed, permutation, type Rng } from './random';
export { settingsId } from './canonical';
export { densityAfter } from './ladder';
export * from './spec/campaign-schema';
export * from './spec/dataset-source';
export { parseCampaign, validateCampaign, CampaignSpecError, type SpecIssue } from './spec/parse-campaign';
export { checkKnownNames, type KnownNames } from './spec/known-names';
export {
  expandCampaign,
  pretrainingsOf,
  lastRound,
  type Experiment,
  type ExperimentSettings,
  type Pretraining,
} from './spec/expand-campaign';
export { type Task, taskKey, describeTask, taskSettings, taskSubject } from './tasks/task';
export { branchRunsOf, describeBranch, transferSourceOf, type BranchRun, type BranchKind } from './spec/branch-runs';
export { DRIVER_EXIT, driverArgs, taskRefOf, type TaskRef, type ServiceAddresses } from './tasks/driver-command';
export {
  planTasks,
  mayRetry,
  type PlanInput,
  type TaskPlan,
  type TaskAttempts,
  type StoreProgress,
  type ExperimentState,
  type ExperimentProgress,
} from './tasks/plan-tasks';
export { type WeightTensor, type MaskTensor, type Mask, sizeOf, countKept } from './pruning/tensors';
export { countPrunable, type PruningPolicy } from './pruning/policy';
export { HEAD, STEM, STEM_BN, layerOf, roleOf, isHead, isStem, isKernel, type LayerRole } from './models/layer-roles';
export {
  TORCHVISION_RESNETS,
  TORCHVISION_DEPTHS,
  stemFor,
  torchvisionResnetWeights,
  torchvisionDepthOf,
  type TorchvisionDepth,
  type StemKind,
  type ResnetBlock,
  type WeightShape,
} from './models/torchvision-resnet';
export { pruneByMagnitude, pruneLikeMask, checkMaskFits } from './pruning/magnitude';
export { randomMaskLike, reversedMask } from './pruning/random-prune';
export { maskStats, type MaskStats, type LayerSparsity } from './pruning/sparsity';
export { encodeMask, decodeMask } from './pruning/mask-codec';
export * from './analysis/results';
export { aggregateTransfers } from './analysis/transfer-aggregates';
export { isMatching, denseAccuracyOf, winningSparsity, summarizeExperiment } from './analysis/tickets';
export { resultsToCsv, branchesToCsv } from './analysis/results-csv';
export { encodeWeights, decodeWeights, applyMask, type WeightSpec } from './weights/weights-format';
export { aggregateReplicates } from './analysis/replicate-aggregates';
export { quote, QUOTE_MAX } from './quote';
export { learningRateAt, type TrainingPosition } from './training/learning-rate';
export { drawViews, type ViewRecipe, type ViewDraws } from './training/contrastive-views';
export { improvesSelection, type SelectedEpoch } from './training/model-selection';
export { TRAINING_RECIPES, TRAINING_RECIPE_NAMES, type TrainingRecipeName } from './spec/training-recipes';
export { maskOverlap, overlapMatrix, type MaskOverlap } from './analysis/mask-overlap';
export { csvCell, csvTable } from './analysis/csv';
export { perturbSurvivors, type Perturbation } from './analysis/perturbation';
export {
  accuracyCurves,
  settingLabel,
  type AccuracyCurve,
  type CurvePoint,
  type SettingKey,
} from './analysis/accuracy-curves';
export { winningTicketTable, type WinningTicketRow, type LadderRung } from './analysis/winning-tickets';
export { transferMatrix, type TransferMatrix, type TransferCell } from './analysis/transfer-matrix';
export { sensitivityCurves, type SensitivitySample, type SensitivityPoint } from './analysis/sensitivity-curves';
export {
  analyzeCampaign,
  comparableRound,
  ticketsAt,
  type AnalysisInputs,
  type CampaignAnalysis,
  type LayerSparsityRow,
  type OverlapAnalysis,
  type OverlapSummary,
  type TicketLabel,
} from './analysis/campaign-analysis';
export { analysisTables } from './analysis/analysis-tables';

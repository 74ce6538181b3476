export {
  initBackend,
  activeBackend,
  backendUsable,
  parseBackendChoice,
  type BackendName,
  type BackendChoice,
  type BackendReport,
} from './backend';
export { getModel, models, MODEL_NAMES, type ModelDefinition } from './models/registry';
export type { InputShape } from './models/input-shape';
export { Network } from './network';
export { batchTensors, scaledPixels, normalized, type BatchLayout, type InputNormalization } from './pixels';
export { MaskedTrainer } from './masked-trainer';
export { SupervisedObjective, type TrainingObjective, type TrainingBatch } from './training-objective';
export {
  ContrastiveObjective,
  momentumUpdate,
  enqueued,
  type ContrastiveSettings,
} from './contrastive/contrastive-objective';
export { viewOf } from './contrastive/views';
export { ntXentLoss, queueInfoNceLoss } from './contrastive/losses';
export { checkBatchFits } from './memory-estimate';
export { Evaluator } from './evaluator';
export * as tf from '@tensorflow/tfjs';

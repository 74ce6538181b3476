import type { EvaluationSpec } from '@lth/core';
import type { DriverDeps } from './driver-deps';
import { evaluate, fineTune, type FineTuneInput, type Trained } from './service-calls';

/** What a round or branch reports of one training, scored on the test split. */
export interface TrainedAndScored {
  trained: Trained;
  /** Of the selected weights (best validation epoch) under `best-validation`, else of the last ones. */
  testAccuracy: number;
  testLoss: number;
  /** Under `best-validation` only. */
  selection?: {
    weightsDigest: string;
    epoch: number;
    validationAccuracy: number;
    /** The last epoch's test accuracy, kept beside the selected one. */
    lastTestAccuracy: number;
  };
}

/**
 * Fine-tunes and scores on the test split, with the paper's model selection when the recipe asks for it
 * (`training.selection: best-validation`): the service scores every epoch on the validation split and
 * keeps the best, whose test accuracy is reported; the last epoch's is kept beside it.
 */
export async function trainAndScore(
  deps: DriverDeps,
  input: FineTuneInput,
  evaluation: EvaluationSpec,
): Promise<TrainedAndScored> {
  const selecting = input.training.selection === 'best-validation';
  const selection = selecting ? { maxExamples: evaluation.maxExamples, batchSize: evaluation.batchSize } : undefined;
  deps.emit({ type: 'phase', phase: 'finetune' });
  const trained = await fineTune(deps, { ...input, selection });
  deps.emit({ type: 'phase', phase: 'evaluate' });
  const score = (weightsDigest: string) =>
    evaluate(deps, {
      model: input.model,
      dataset: input.dataset,
      weightsDigest,
      maskDigest: input.maskDigest,
      evaluation,
      normalization: input.normalization,
    });
  const last = await score(trained.weightsDigest);
  if (!trained.selected) return { trained, testAccuracy: last.accuracy, testLoss: last.loss };
  const best = await score(trained.selected.weightsDigest);
  return {
    trained,
    testAccuracy: best.accuracy,
    testLoss: best.loss,
    selection: { ...trained.selected, lastTestAccuracy: last.accuracy },
  };
}

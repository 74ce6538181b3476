import type * as tf from '@tensorflow/tfjs';
import type { MaskedTrainer } from './masked-trainer';
import { batchTensors, type BatchLayout } from './pixels';

/** A batch as the data service sends it: uint8 pixels (NHWC) and labels. */
export interface TrainingBatch {
  count: number;
  pixels: Uint8Array;
  labels: Uint8Array;
}

/**
 * What a training minimises, step by step: supervised cross-entropy, or a contrastive objective with
 * variables of its own. The trainer (SGD under the mask) is the same for all. Owns what it allocates:
 * call dispose().
 */
export interface TrainingObjective {
  /** Variables trained beside the network's, never masked (a projection head). */
  readonly extraVariables: readonly tf.Variable[];
  /** Images through the network per example (2 for two views in one batch): what memory must fit. */
  readonly imagesPerExample: number;
  step(trainer: MaskedTrainer, batch: TrainingBatch, position: { learningRate: number; step: number }): void;
  dispose(): void;
}

/** Softmax cross-entropy on the labels: fine-tuning, and supervised pre-training. */
export class SupervisedObjective implements TrainingObjective {
  readonly extraVariables: readonly tf.Variable[] = [];
  readonly imagesPerExample = 1;

  constructor(private readonly layout: BatchLayout) {}

  step(trainer: MaskedTrainer, batch: TrainingBatch, position: { learningRate: number }): void {
    const { x, y } = batchTensors(batch.pixels, batch.labels, this.layout);
    trainer.step(x, y, position.learningRate);
    x.dispose();
    y.dispose();
  }

  dispose(): void {}
}

import * as tf from '@tensorflow/tfjs';
import type { Mask, OptimizerSpec } from '@lth/core';
import type { Network } from './network';
import { softmaxCrossEntropy } from './tensorflow-softmax-cross-entropy';

/**
 * SGD with momentum and weight decay (PyTorch semantics: decay added to the gradient) over a
 * masked network, plus any `extra` variables an objective trains beside it (a projection head), which
 * are never masked. Pruned weights are zeroed once, and their gradients masked at every step, so
 * their momentum and updates are zero: a pruned weight stays exactly zero throughout training.
 * Owns its momentum buffers and mask tensors: call dispose().
 */
export class MaskedTrainer {
  private readonly names: string[];
  private readonly params: tf.Variable[];
  private readonly momenta: tf.Variable[];
  private readonly masks: (tf.Tensor | undefined)[];
  private lossSum: tf.Scalar;
  private lossCount = 0;
  /** The optimizer's constants, on the device once rather than uploaded at every use. */
  private readonly momentum: tf.Scalar;
  private readonly weightDecay: tf.Scalar | undefined;

  constructor(
    private readonly network: Network,
    mask: Mask | undefined,
    optimizer: OptimizerSpec,
    extra: readonly tf.Variable[] = [],
  ) {
    this.names = network.trainableNames();
    this.params = [...this.names.map((n) => network.variable(n)), ...extra];
    this.momenta = tf.tidy(() => this.params.map((p) => tf.variable(tf.zerosLike(p), false)));
    this.masks = this.params.map((_, i) => {
      const m = i < this.names.length ? mask?.get(this.names[i]!) : undefined;
      return m ? tf.tensor(Float32Array.from(m.keep), m.shape) : undefined;
    });
    this.lossSum = tf.scalar(0);
    this.momentum = tf.scalar(optimizer.momentum);
    this.weightDecay = optimizer.weightDecay > 0 ? tf.scalar(optimizer.weightDecay) : undefined;
    this.applyMasks();
  }

  /** Zeroes pruned weights (once, at the start). */
  private applyMasks(): void {
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const m = this.masks[i];
        if (m) p.assign(tf.mul(p, m));
      });
    });
  }

  /** One supervised step on a batch (softmax cross-entropy); queues work on the device and never waits. */
  step(x: tf.Tensor, y: tf.Tensor, learningRate: number): void {
    this.stepOn(() => {
      const logits = this.network.model.apply(x, { training: true }) as tf.Tensor;
      return softmaxCrossEntropy(y, logits);
    }, learningRate);
  }

  /** One step on any loss of the trained variables (a contrastive objective's). */
  stepOn(loss: () => tf.Scalar, learningRate: number): void {
    const lossValue = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss, this.params);
      const lr = tf.scalar(learningRate);
      this.params.forEach((p, i) => {
        // A weight the loss does not reach (the classifier under a contrastive objective) is left alone.
        if (!grads[p.name]) return;
        const m = this.masks[i];
        const g = m ? tf.mul(grads[p.name]!, m) : grads[p.name]!;
        // v = momentum * v + g + decay * p, in one sum. Decay needs no mask: a pruned weight is zero.
        const v = this.momenta[i]!;
        const terms = [tf.mul(v, this.momentum), g];
        if (this.weightDecay) terms.push(tf.mul(p, this.weightDecay));
        v.assign(tf.addN(terms));
        p.assign(tf.sub(p, tf.mul(lr, v)));
      });
      return value;
    });
    // No re-masking here: a pruned weight starts at zero (applyMasks in the constructor), its gradient
    // is masked, so its momentum stays zero and its update is zero: it stays exactly zero.
    const sum = tf.add(this.lossSum, lossValue) as tf.Scalar;
    this.lossSum.dispose();
    lossValue.dispose();
    this.lossSum = sum;
    this.lossCount++;
  }

  /** Mean loss since the last call (one device read, for progress reports). */
  async takeMeanLoss(): Promise<number> {
    const total = (await this.lossSum.data())[0]!;
    const mean = this.lossCount === 0 ? NaN : total / this.lossCount;
    this.lossSum.dispose();
    this.lossSum = tf.scalar(0);
    this.lossCount = 0;
    return mean;
  }

  dispose(): void {
    const constants = [this.momentum, ...(this.weightDecay ? [this.weightDecay] : [])];
    tf.dispose([
      ...this.momenta,
      ...this.masks.filter((m): m is tf.Tensor => m !== undefined),
      this.lossSum,
      ...constants,
    ]);
  }
}

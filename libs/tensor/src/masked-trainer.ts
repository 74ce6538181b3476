import * as tf from '@tensorflow/tfjs';
import type { Mask, OptimizerSpec } from '@lth/core';
import type { Network } from './network';

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

  constructor(
    private readonly network: Network,
    mask: Mask | undefined,
    private readonly optimizer: OptimizerSpec,
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
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    }, learningRate);
  }

  /** One step on any loss of the trained variables (a contrastive objective's). */
  stepOn(loss: () => tf.Scalar, learningRate: number): void {
    const { momentum, weightDecay } = this.optimizer;
    const lossValue = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss, this.params);
      const lr = tf.scalar(learningRate);
      this.params.forEach((p, i) => {
        // A weight the loss does not reach (the classifier under a contrastive objective) is left alone.
        if (!grads[p.name]) return;
        let g: tf.Tensor = grads[p.name]!;
        if (weightDecay > 0) g = tf.add(g, tf.mul(p, weightDecay));
        const m = this.masks[i];
        if (m) g = tf.mul(g, m);
        const v = this.momenta[i]!;
        v.assign(tf.add(tf.mul(v, momentum), g));
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
    tf.dispose([...this.momenta, ...this.masks.filter((m): m is tf.Tensor => m !== undefined), this.lossSum]);
  }
}

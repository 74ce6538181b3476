import * as tf from '@tensorflow/tfjs';
import type { Network } from './network';

/** Accumulates accuracy and loss over batches on the device; one read at the end. */
export class Evaluator {
  private correct: tf.Scalar = tf.scalar(0);
  private lossSum: tf.Scalar = tf.scalar(0);
  private examples = 0;

  constructor(private readonly network: Network) {}

  add(x: tf.Tensor, y: tf.Tensor): void {
    const [correct, lossSum] = tf.tidy(() => {
      const logits = this.network.model.apply(x, { training: false }) as tf.Tensor;
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(y, 1)), 'float32'));
      const loss = tf.losses.softmaxCrossEntropy(y, logits, undefined, undefined, tf.Reduction.SUM);
      return [tf.add(this.correct, hits) as tf.Scalar, tf.add(this.lossSum, loss) as tf.Scalar];
    });
    this.correct.dispose();
    this.lossSum.dispose();
    this.correct = correct;
    this.lossSum = lossSum;
    this.examples += x.shape[0]!;
  }

  async result(): Promise<{ accuracy: number; loss: number; examples: number }> {
    const [correct] = await this.correct.data();
    const [loss] = await this.lossSum.data();
    const n = this.examples;
    return { accuracy: n ? correct! / n : 0, loss: n ? loss! / n : 0, examples: n };
  }

  dispose(): void {
    tf.dispose([this.correct, this.lossSum]);
  }
}

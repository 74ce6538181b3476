import * as tf from '@tensorflow/tfjs';
import { float32Attr, tensorflowKernelBackend, type NodeJSKernelBackend } from './tensorflow-kernel-backend';

/**
 * Softmax cross-entropy on native TensorFlow as TensorFlow computes it: one
 * `SoftmaxCrossEntropyWithLogits` gives each example's loss and its gradient together, where tfjs
 * composes log-softmax, the product with the labels and their gradients from about fifteen
 * kernel calls. Other backends keep `tf.losses.softmaxCrossEntropy`; the numbers agree within
 * float32 rounding (tensorflow-softmax-cross-entropy.test.ts).
 */
const KERNEL = 'LthSoftmaxCrossEntropy';

/** Registers the kernel and its gradient (once, when the tensorflow backend loads). */
export function registerTensorflowSoftmaxCrossEntropy(): void {
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend }) => {
      const b = backend as unknown as NodeJSKernelBackend;
      const { logits, labels } = inputs as { logits: tf.Tensor; labels: tf.Tensor };
      // Per example: the loss, and its gradient with respect to the logits (softmax - labels).
      return b.executeMultipleOutputs('SoftmaxCrossEntropyWithLogits', [float32Attr(b)], [logits, labels], 2);
    },
  });
  tf.registerGradient({
    kernelName: KERNEL,
    inputsToSave: ['logits'],
    outputsToSave: [false, true],
    gradFunc: (dys, saved) => {
      const [dLoss] = dys as tf.Tensor[];
      const [logits, backprop] = saved as [tf.Tensor2D, tf.Tensor2D];
      const perExample = tf.expandDims(dLoss!, 1);
      return {
        logits: () => tf.mul(backprop, perExample),
        labels: () => tf.mul(tf.neg(tf.logSoftmax(logits)), perExample),
      };
    },
  });
}

/**
 * The mean over the batch of softmax cross-entropy between one-hot (or soft) labels and logits:
 * what `tf.losses.softmaxCrossEntropy(labels, logits)` computes, in one TensorFlow op on native.
 */
export function softmaxCrossEntropy(labels: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  const native =
    tensorflowKernelBackend() !== undefined &&
    logits.rank === 2 &&
    logits.dtype === 'float32' &&
    labels.dtype === 'float32';
  if (!native) return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  return tf.tidy(() => {
    const [losses] = tf.engine().runKernel(KERNEL, { logits, labels }, {}) as tf.Tensor[];
    return tf.mean(losses!);
  });
}

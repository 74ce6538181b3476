import * as tf from '@tensorflow/tfjs';
import { float32Attr, tensorflowKernelBackend } from './tensorflow-kernel-backend';

/**
 * The gradient of ReLU as one TensorFlow op (`ReluGrad`) on native TensorFlow, where tfjs composes
 * it from three (Step, Cast, Multiply) over every activation. Other backends keep tfjs's own formula,
 * which this reproduces exactly. Registered once, when the tensorflow backend loads.
 */
export function registerTensorflowReluGrad(): void {
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor];
      const dyTensor = dy as tf.Tensor;
      const backend = tensorflowKernelBackend();
      if (!backend || dyTensor.dtype !== 'float32' || x.dtype !== 'float32')
        return { x: () => tf.mul(dyTensor, tf.cast(tf.step(x), 'float32')) };
      return { x: () => backend.executeSingleOutput('ReluGrad', [float32Attr(backend)], [dyTensor, x]) };
    },
  });
}

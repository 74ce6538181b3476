import * as tf from '@tensorflow/tfjs';

interface NodeJSKernelBackend {
  binding: { TF_ATTR_TYPE: number; TF_FLOAT: number };
  executeSingleOutput(
    name: string,
    attrs: { name: string; type: number; value: unknown }[],
    inputs: tf.Tensor[],
  ): tf.Tensor;
}

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
      if (tf.getBackend() !== 'tensorflow' || dyTensor.dtype !== 'float32' || x.dtype !== 'float32')
        return { x: () => tf.mul(dyTensor, tf.cast(tf.step(x), 'float32')) };
      const backend = tf.backend() as unknown as NodeJSKernelBackend;
      const attrs = [{ name: 'T', type: backend.binding.TF_ATTR_TYPE, value: backend.binding.TF_FLOAT }];
      return { x: () => backend.executeSingleOutput('ReluGrad', attrs, [dyTensor, x]) };
    },
  });
}

import * as tf from '@tensorflow/tfjs';

/**
 * A kernel receives TensorInfos; to compose it from ops it needs Tensors. Wrapping does not
 * take a reference on the data, so take one: disposing the wrapper must not free the caller's
 * tensor. Dispose the result (tf.tidy does).
 */
export function wrapTensorInfo(info: tf.TensorInfo, backend: tf.KernelBackend): tf.Tensor {
  const t = tf.engine().makeTensorFromTensorInfo(info, backend);
  backend.incRef(info.dataId);
  return t;
}

/** The attributes TF.js gives both convolution-gradient kernels. */
export interface ConvGradientAttrs {
  strides: [number, number] | number;
  pad: 'same' | 'valid' | number;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

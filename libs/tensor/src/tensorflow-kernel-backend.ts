import * as tf from '@tensorflow/tfjs';

/** An attribute of a TensorFlow op, as tfjs-node's binding takes it. */
export interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

/**
 * What tfjs-node's backend offers to run any TensorFlow op by name (nodejs_kernel_backend.d.ts),
 * typed here because tfjs-node is not a dependency: the one description of it lth relies on.
 */
export interface NodeJSKernelBackend {
  binding: {
    TF_ATTR_FLOAT: number;
    TF_ATTR_STRING: number;
    TF_ATTR_BOOL: number;
    TF_ATTR_TYPE: number;
    TF_FLOAT: number;
  };
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.Tensor[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tf.Tensor[], numOutputs: number): tf.Tensor[];
}

/** The active backend as tfjs-node's, or undefined on any other backend. */
export function tensorflowKernelBackend(): NodeJSKernelBackend | undefined {
  return tf.getBackend() === 'tensorflow' ? (tf.backend() as unknown as NodeJSKernelBackend) : undefined;
}

/** The attribute that says an op computes in float32 (`T`, or another name such as `U`). */
export function float32Attr(backend: NodeJSKernelBackend, name = 'T'): OpAttr {
  return { name, type: backend.binding.TF_ATTR_TYPE, value: backend.binding.TF_FLOAT };
}

/** A tfjs-layers layer's `call`, which lth's native layers replace on native TensorFlow. */
export type LayerCall = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

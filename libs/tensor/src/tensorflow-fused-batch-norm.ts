import * as tf from '@tensorflow/tfjs';
import {
  float32Attr,
  tensorflowKernelBackend,
  type LayerCall,
  type NodeJSKernelBackend,
  type OpAttr,
} from './tensorflow-kernel-backend';

/**
 * Batch normalisation in training, on native TensorFlow, as TensorFlow computes it: one
 * `FusedBatchNormV3` forward and one `FusedBatchNormGradV3` backward per layer, where tfjs composes
 * moments, the normalisation and their gradients from about twenty element-wise ops over the
 * activations. Other backends (and inference) keep tfjs-layers' own path; the numbers agree within
 * float32 rounding (tensorflow-fused-batch-norm.test.ts).
 */

function attrs(backend: NodeJSKernelBackend, epsilon: number): OpAttr[] {
  const b = backend.binding;
  return [
    float32Attr(backend, 'T'),
    float32Attr(backend, 'U'),
    { name: 'epsilon', type: b.TF_ATTR_FLOAT, value: epsilon },
    { name: 'exponential_avg_factor', type: b.TF_ATTR_FLOAT, value: 1 },
    { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: b.TF_ATTR_BOOL, value: true },
  ];
}

export interface NormalizedBatch {
  normalized: tf.Tensor4D;
  /** Of the batch, per channel: what the moving averages are updated with. */
  mean: tf.Tensor1D;
  /** Biased (divided by N*H*W), as tf.moments gives it: what tfjs-layers updates its moving variance with. */
  variance: tf.Tensor1D;
}

/** Whether this process computes on native TensorFlow, where the fused ops exist. */
export function fusedBatchNormAvailable(): boolean {
  return tensorflowKernelBackend() !== undefined;
}

/**
 * Normalises a NHWC batch by its own statistics, scales by gamma and shifts by beta; gradients flow
 * to x, gamma and beta through TensorFlow's FusedBatchNormGradV3.
 */
export function fusedBatchNormTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): NormalizedBatch {
  const backend = tensorflowKernelBackend()!;
  const opAttrs = attrs(backend, epsilon);
  const empty = tf.tensor1d([], 'float32');
  const stats: { mean?: tf.Tensor1D; unbiasedVariance?: tf.Tensor1D } = {};
  const forward = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, scale, offset] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const [y, batchMean, batchVariance, reserve1, reserve2, reserve3] = backend.executeMultipleOutputs(
      'FusedBatchNormV3',
      opAttrs,
      [input!, scale!, offset!, empty, empty],
      6,
    );
    // The engine disposes whatever a kernel function made besides its output and what it saved:
    // the batch statistics are kept here and released below.
    stats.mean = tf.keep(batchMean as tf.Tensor1D);
    stats.unbiasedVariance = tf.keep(batchVariance as tf.Tensor1D);
    save([input!, scale!, reserve1!, reserve2!, reserve3!]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedX, savedScale, r1, r2, r3] = saved;
        const [dx, dScale, dOffset] = backend.executeMultipleOutputs(
          'FusedBatchNormGradV3',
          opAttrs.filter((a) => a.name !== 'exponential_avg_factor'),
          [dy, savedX!, savedScale!, r1!, r2!, r3!],
          5,
        );
        return [dx!, dScale!, dOffset!];
      },
    };
  });
  const normalized = forward(x, gamma, beta) as tf.Tensor4D;
  empty.dispose();
  // TensorFlow returns the Bessel-corrected variance; the moving averages take the biased one.
  const [n, h, w] = x.shape;
  const count = n * h * w;
  const variance = tf.mul(stats.unbiasedVariance!, count > 1 ? (count - 1) / count : 1) as tf.Tensor1D;
  const mean = tf.clone(stats.mean!);
  tf.dispose([stats.mean!, stats.unbiasedVariance!]);
  return { normalized, mean, variance };
}

/** What tfjs-layers' BatchNormalization keeps, private in its typings (layers/normalization.d.ts). */
interface BatchNormalizationFields {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

/**
 * tfjs-layers' BatchNormalization (same weights, same config, same serialisation), whose training
 * step takes the fused path on native TensorFlow. Moving averages are updated as tfjs-layers does:
 * moving -= (moving - batch) * (1 - momentum).
 */
export function batchNormalization(args: { name: string; momentum: number; epsilon: number }): tf.layers.Layer {
  const layer = tf.layers.batchNormalization(args);
  const fields = layer as unknown as BatchNormalizationFields;
  const standardCall: LayerCall = layer.call.bind(layer);
  const call: LayerCall = (inputs, kwargs) => {
    const input = Array.isArray(inputs) ? inputs[0]! : inputs;
    const fused =
      kwargs['training'] === true &&
      fusedBatchNormAvailable() &&
      input.rank === 4 &&
      (fields.axis === -1 || fields.axis === 3) &&
      fields.center &&
      fields.scale;
    if (!fused) return standardCall(inputs, kwargs);
    return tf.tidy(() => {
      const gamma = fields.gamma.read() as tf.Tensor1D;
      const beta = fields.beta.read() as tf.Tensor1D;
      const batch = fusedBatchNormTraining(input as tf.Tensor4D, gamma, beta, fields.epsilon);
      for (const [moving, value] of [
        [fields.movingMean, batch.mean],
        [fields.movingVariance, batch.variance],
      ] as const) {
        const current = moving.read();
        moving.write(tf.sub(current, tf.mul(tf.sub(current, value), 1 - fields.momentum)));
      }
      return batch.normalized;
    });
  };
  layer.call = call;
  return layer;
}

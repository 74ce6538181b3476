import * as tf from '@tensorflow/tfjs';
import type { InputShape } from './models/input-shape';

/** Per-channel input normalisation: (pixel / 255 - mean) / std, one value per channel (or one for all). */
export interface InputNormalization {
  mean: readonly number[];
  std: readonly number[];
}

export interface BatchLayout {
  input: InputShape;
  numClasses: number;
  /** Absent (or empty): pixel / 255. */
  normalization?: InputNormalization;
}

/** A batch's bytes as floats in [0, 1] on the device, NHWC. The caller owns the result. */
export function scaledPixels(pixels: Uint8Array, count: number, input: InputShape): tf.Tensor4D {
  return tf.tidy(() => {
    const raw = tf.tensor4d(pixels, [count, input.height, input.width, input.channels], 'int32');
    return tf.div(tf.cast(raw, 'float32'), 255) as tf.Tensor4D;
  });
}

/** (x - mean) / std per channel, or x itself when there is no normalisation (then not a copy). */
export function normalized(x: tf.Tensor4D, normalization: InputNormalization | undefined): tf.Tensor4D {
  if (!normalization || normalization.mean.length === 0) return x;
  const { mean, std } = normalization;
  return tf.tidy(() => tf.div(tf.sub(x, tf.tensor1d([...mean])), tf.tensor1d([...std])) as tf.Tensor4D);
}

/**
 * A batch as tensors: pixels arrive as bytes and are scaled (and normalised) on the device. The
 * caller owns the result (dispose both).
 */
export function batchTensors(
  pixels: Uint8Array,
  labels: Uint8Array,
  layout: BatchLayout,
): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const { input, numClasses, normalization } = layout;
  const n = labels.length;
  return tf.tidy(() => {
    const x = normalized(scaledPixels(pixels, n, input), normalization);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses).toFloat() as tf.Tensor2D;
    return { x, y };
  });
}

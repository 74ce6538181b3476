import * as tf from '@tensorflow/tfjs';
import type { InputShape } from './models/input-shape';

/**
 * A batch as tensors: pixels arrive as bytes and are scaled on the device. The caller owns
 * the result (dispose both).
 */
export function batchTensors(
  pixels: Uint8Array,
  labels: Uint8Array,
  input: InputShape,
  numClasses: number,
): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const n = labels.length;
  return tf.tidy(() => {
    const raw = tf.tensor4d(pixels, [n, input.height, input.width, input.channels], 'int32');
    const x = tf.div(tf.cast(raw, 'float32'), 255) as tf.Tensor4D;
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses).toFloat() as tf.Tensor2D;
    return { x, y };
  });
}

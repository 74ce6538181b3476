import * as tf from '@tensorflow/tfjs';
import type { ViewDraws, ViewRecipe } from '@lth/core';

const perImage = (values: Float32Array) => tf.tensor4d(values, [values.length, 1, 1, 1]);

/**
 * One augmented view of a batch of images in [0, 1] (NHWC), made on the device from draws made on the
 * host (`drawViews`): random resized crop (mirrored where the box says so) by bilinear resampling, then
 * brightness, contrast and saturation jitter, then Gaussian noise, clipped to [0, 1]. The caller owns
 * the result.
 */
export function viewOf(images: tf.Tensor4D, draws: ViewDraws, recipe: ViewRecipe): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, height, width, channels] = images.shape;
    const boxes = tf.tensor2d(draws.boxes, [n, 4]);
    let x = tf.image.cropAndResize(images, boxes, tf.range(0, n, 1, 'int32') as tf.Tensor1D, [height, width]);
    if (recipe.brightness > 0) x = tf.mul(x, perImage(draws.brightness));
    if (recipe.contrast > 0) {
      const mean = tf.mean(x, [1, 2, 3], true);
      x = tf.add(tf.mul(tf.sub(x, mean), perImage(draws.contrast)), mean);
    }
    if (recipe.saturation > 0 && channels === 3) {
      const grey = tf.mean(x, 3, true);
      x = tf.add(tf.mul(tf.sub(x, grey), perImage(draws.saturation)), grey);
    }
    if (recipe.noiseStd > 0) x = tf.add(x, tf.randomNormal(x.shape, 0, recipe.noiseStd, 'float32', draws.noiseSeed));
    return tf.clipByValue(x, 0, 1) as tf.Tensor4D;
  });
}

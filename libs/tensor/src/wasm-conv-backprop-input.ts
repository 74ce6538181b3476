import * as tf from '@tensorflow/tfjs';
import { wrapTensorInfo, type ConvGradientAttrs } from './wrap-tensor-info';

/**
 * The wasm backend's own Conv2DBackpropInput is a plain loop, six times slower than its
 * forward convolution (XNNPACK). The input gradient is itself a forward convolution: spread
 * the output gradient by the stride (zeros between), pad it by kernel-1-pad, and convolve with
 * the filter rotated 180 degrees and its in/out channels swapped.
 */
let registered = false;

export function registerWasmConv2DBackpropInput(): void {
  if (registered) return;
  registered = true;
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as ConvGradientAttrs & {
        inputShape: [number, number, number, number];
      };
      if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropInput on wasm supports NHWC only');
      const kernelBackend = backend as tf.KernelBackend;
      return tf.tidy(() => {
        const gradient = wrapTensorInfo(dy, kernelBackend) as tf.Tensor4D;
        const weights = wrapTensorInfo(filter, kernelBackend) as tf.Tensor4D;
        const [kh, kw] = weights.shape;
        const info = tf.backend_util.computeConv2DInfo(inputShape, weights.shape, strides, 1, pad, dimRoundingMode);
        const { strideHeight: sh, strideWidth: sw } = info;
        const [n, oh, ow, c] = gradient.shape;
        let spread: tf.Tensor4D = gradient;
        if (sh > 1 || sw > 1) {
          const holes = tf.pad(gradient.reshape([n, oh, 1, ow, 1, c]), [
            [0, 0],
            [0, 0],
            [0, sh - 1],
            [0, 0],
            [0, sw - 1],
            [0, 0],
          ]);
          spread = tf.slice(
            holes.reshape([n, oh * sh, ow * sw, c]) as tf.Tensor4D,
            [0, 0, 0, 0],
            [n, (oh - 1) * sh + 1, (ow - 1) * sw + 1, c],
          );
        }
        const [, height, width] = inputShape;
        const top = kh - 1 - info.padInfo.top;
        const left = kw - 1 - info.padInfo.left;
        const bottom = height + kh - 1 - spread.shape[1] - top;
        const right = width + kw - 1 - spread.shape[2] - left;
        const padded = tf.pad(spread, [
          [0, 0],
          [Math.max(top, 0), Math.max(bottom, 0)],
          [Math.max(left, 0), Math.max(right, 0)],
          [0, 0],
        ]);
        const cropped = tf.slice(
          padded,
          [0, Math.max(-top, 0), Math.max(-left, 0), 0],
          [
            n,
            padded.shape[1] - Math.max(-top, 0) - Math.max(-bottom, 0),
            padded.shape[2] - Math.max(-left, 0) - Math.max(-right, 0),
            c,
          ],
        );
        const flipped = tf.transpose(tf.reverse(weights, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
        return tf.conv2d(cropped, flipped, 1, 'valid');
      }) as unknown as tf.TensorInfo;
    },
  });
}

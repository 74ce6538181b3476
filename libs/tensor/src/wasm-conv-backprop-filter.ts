import * as tf from '@tensorflow/tfjs';
import { wrapTensorInfo, type ConvGradientAttrs } from './wrap-tensor-info';

/**
 * The wasm backend ships without Conv2DBackpropFilter, so convolutional nets cannot train on
 * it. The filter gradient is itself a convolution: with the (padded) input transposed to
 * [inChannels, height, width, batch] and the output gradient to [outHeight, outWidth, batch,
 * outChannels], a VALID convolution dilated by the forward stride yields
 * dW[inChannel, kh, kw, outChannel], which a transpose puts back in filter order.
 */
export function registerWasmConv2DBackpropFilter(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as ConvGradientAttrs & {
        filterShape: [number, number, number, number];
      };
      if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
      return tf.tidy(() => {
        const input = wrapTensorInfo(x, backend as tf.KernelBackend) as tf.Tensor4D;
        const gradient = wrapTensorInfo(dy, backend as tf.KernelBackend) as tf.Tensor4D;
        const info = tf.backend_util.computeConv2DInfo(input.shape, filterShape, strides, 1, pad, dimRoundingMode);
        const { top, bottom, left, right } = info.padInfo;
        const padded =
          top || bottom || left || right
            ? tf.pad(input, [
                [0, 0],
                [top, bottom],
                [left, right],
                [0, 0],
              ])
            : input;
        const dilated = tf.conv2d(
          tf.transpose(padded, [3, 1, 2, 0]),
          tf.transpose(gradient, [1, 2, 0, 3]),
          1,
          'valid',
          'NHWC',
          [info.strideHeight, info.strideWidth],
        );
        const [, kh, kw] = [0, filterShape[0], filterShape[1]];
        const cropped = tf.slice(dilated, [0, 0, 0, 0], [-1, kh, kw, -1]);
        return tf.transpose(cropped, [1, 2, 0, 3]);
      }) as unknown as tf.TensorInfo;
    },
  });
}

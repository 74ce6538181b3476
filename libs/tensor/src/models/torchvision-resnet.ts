import * as tf from '@tensorflow/tfjs';
import { HEAD, STEM, STEM_BN, stemFor, TORCHVISION_RESNETS, type TorchvisionDepth } from '@lth/core';
import type { InputShape } from './input-shape';
import { batchNormalization } from '../tensorflow-fused-batch-norm';
import { dense } from '../tensorflow-dense';

/**
 * ResNet with torchvision's structure and weight names: `conv1` is `stem`, `bn1` `stem_bn`, `fc`
 * `head`, and `layer3.1.conv2` is `layer3_1_conv2`, `layer2.0.downsample.0` `layer2_0_downsample_0`.
 * Bottlenecks stride in their 3x3 convolution (torchvision's "ResNet v1.5"). Batch norm as
 * torchvision: epsilon 1e-5, momentum 0.1 in PyTorch's sense (0.9 in Keras's).
 *
 * PyTorch pads symmetrically; TensorFlow's 'same' pads a strided convolution's even input on the
 * bottom and right only. Strided 3x3 and 7x7 convolutions and the max-pool therefore take explicit
 * zero padding and 'valid', so imported weights compute exactly what they computed in PyTorch. (The
 * max-pool's zeros change nothing: it follows a ReLU.)
 */
export function buildTorchvisionResnet(depth: TorchvisionDepth, input: InputShape, numClasses: number): tf.LayersModel {
  const { block, stages } = TORCHVISION_RESNETS[depth];
  const expansion = block === 'basic' ? 1 : 4;
  const bn = (name: string) => batchNormalization({ name, momentum: 0.9, epsilon: 1e-5 });
  const relu = (name: string) => tf.layers.activation({ activation: 'relu', name });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(x) as tf.SymbolicTensor;
  /** A bias-free convolution padded as PyTorch pads it (kernel // 2 on every side). */
  const conv = (name: string, filters: number, kernel: number, stride: number) => (x: tf.SymbolicTensor) => {
    const pad = Math.floor(kernel / 2);
    const strided = stride > 1 && pad > 0;
    const padded = strided ? apply(tf.layers.zeroPadding2d({ padding: pad, name: `${name}_pad` }), x) : x;
    const layer = tf.layers.conv2d({
      filters,
      kernelSize: kernel,
      strides: stride,
      padding: strided || kernel === 1 ? 'valid' : 'same',
      useBias: false,
      name,
    });
    return apply(layer, padded);
  };

  const inputs = tf.input({ shape: [input.height, input.width, input.channels], name: 'pixels' });
  let x: tf.SymbolicTensor;
  if (stemFor(input) === 'imagenet') {
    x = apply(relu('stem_relu'), apply(bn(STEM_BN), conv(STEM, 64, 7, 2)(inputs)));
    x = apply(tf.layers.zeroPadding2d({ padding: 1, name: 'stem_pool_pad' }), x);
    x = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'stem_pool' }), x);
  } else {
    x = apply(relu('stem_relu'), apply(bn(STEM_BN), conv(STEM, 64, 3, 1)(inputs)));
  }
  let channels = 64;
  stages.forEach((blocks, stage) => {
    const width = 64 * 2 ** stage;
    for (let b = 0; b < blocks; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const p = `layer${stage + 1}_${b}`;
      let y: tf.SymbolicTensor;
      if (block === 'basic') {
        y = apply(relu(`${p}_relu1`), apply(bn(`${p}_bn1`), conv(`${p}_conv1`, width, 3, stride)(x)));
        y = apply(bn(`${p}_bn2`), conv(`${p}_conv2`, width, 3, 1)(y));
      } else {
        y = apply(relu(`${p}_relu1`), apply(bn(`${p}_bn1`), conv(`${p}_conv1`, width, 1, 1)(x)));
        y = apply(relu(`${p}_relu2`), apply(bn(`${p}_bn2`), conv(`${p}_conv2`, width, 3, stride)(y)));
        y = apply(bn(`${p}_bn3`), conv(`${p}_conv3`, width * expansion, 1, 1)(y));
      }
      const shortcut =
        stride !== 1 || channels !== width * expansion
          ? apply(bn(`${p}_downsample_1`), conv(`${p}_downsample_0`, width * expansion, 1, stride)(x))
          : x;
      x = apply(relu(`${p}_relu`), apply(tf.layers.add({ name: `${p}_add` }), [y, shortcut]));
      channels = width * expansion;
    }
  });
  const pooled = apply(tf.layers.globalAveragePooling2d({ name: 'pool' }), x);
  const logits = apply(dense({ units: numClasses, name: HEAD }), pooled);
  return tf.model({ inputs, outputs: logits, name: `resnet-${depth}` });
}

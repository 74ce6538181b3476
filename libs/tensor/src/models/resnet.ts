import * as tf from '@tensorflow/tfjs';
import { HEAD, STEM, STEM_BN } from '@lth/core';
import type { InputShape } from './input-shape';
import { batchNormalization } from '../tensorflow-fused-batch-norm';
import { dense } from '../tensorflow-dense';

/**
 * CIFAR-style ResNet (He et al. 2016, section 4.2): a 3x3 stride-1 stem with no max-pool, three
 * stages of basic blocks at 16/32/64 channels, global average pooling and a linear head.
 * Depth 6n+2: resnet-8 has one block a stage, resnet-20 three. Shortcuts that change shape
 * are 1x1 strided convolutions with batch norm.
 */
export function buildCifarResnet(depth: number, input: InputShape, numClasses: number): tf.LayersModel {
  if ((depth - 2) % 6 !== 0) throw new Error(`ResNet depth must be 6n+2, got ${depth}`);
  const blocks = (depth - 2) / 6;
  const conv = (filters: number, kernel: number, stride: number, name: string) =>
    tf.layers.conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'same', useBias: false, name });
  const bn = (name: string) => batchNormalization({ name, momentum: 0.9, epsilon: 1e-5 });
  const relu = (name: string) => tf.layers.activation({ activation: 'relu', name });

  const inputs = tf.input({ shape: [input.height, input.width, input.channels], name: 'pixels' });
  let x = relu('stem_relu').apply(bn(STEM_BN).apply(conv(16, 3, 1, STEM).apply(inputs))) as tf.SymbolicTensor;
  let channels = 16;
  [16, 32, 64].forEach((filters, stage) => {
    for (let b = 0; b < blocks; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const p = `s${stage + 1}b${b}`;
      let y = relu(`${p}_relu1`).apply(
        bn(`${p}_bn1`).apply(conv(filters, 3, stride, `${p}_conv1`).apply(x)),
      ) as tf.SymbolicTensor;
      y = bn(`${p}_bn2`).apply(conv(filters, 3, 1, `${p}_conv2`).apply(y)) as tf.SymbolicTensor;
      const shortcut =
        stride !== 1 || channels !== filters
          ? (bn(`${p}_shortcut_bn`).apply(conv(filters, 1, stride, `${p}_shortcut`).apply(x)) as tf.SymbolicTensor)
          : x;
      x = relu(`${p}_relu2`).apply(tf.layers.add({ name: `${p}_add` }).apply([y, shortcut])) as tf.SymbolicTensor;
      channels = filters;
    }
  });
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x);
  const logits = dense({ units: numClasses, name: HEAD }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs, outputs: logits, name: `resnet-${depth}` });
}

import * as tf from '@tensorflow/tfjs';
import { HEAD } from '@lth/core';
import { dense } from '../tensorflow-dense';
import type { InputShape } from './input-shape';

/** LeNet-300-100 (LeCun et al. 1998; the MLP of Frankle & Carbin 2019). */
export function buildLenet300100(input: InputShape, numClasses: number): tf.LayersModel {
  return tf.sequential({
    name: 'lenet-300-100',
    layers: [
      tf.layers.flatten({ inputShape: [input.height, input.width, input.channels], name: 'flatten' }),
      dense({ units: 300, activation: 'relu', name: 'fc1' }),
      dense({ units: 100, activation: 'relu', name: 'fc2' }),
      dense({ units: numClasses, name: HEAD }),
    ],
  });
}

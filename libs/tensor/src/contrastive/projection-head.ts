import * as tf from '@tensorflow/tfjs';
import { createRng, deriveSeed } from '@lth/core';

/** Shape of the projection MLP that maps encoder features to the space the contrastive loss compares. */
export interface ProjectionShape {
  hidden: number;
  dim: number;
}

function heNormal(shape: [number, number], seed: number): tf.Variable {
  const rng = createRng(seed);
  const values = new Float32Array(shape[0] * shape[1]);
  const std = Math.sqrt(2 / shape[0]);
  for (let i = 0; i < values.length; i++) values[i] = rng.normal() * std;
  // tidy disposes the initial value; the variable (never tracked by tidy) stays.
  return tf.tidy(() => tf.variable(tf.tensor2d(values, shape)));
}

/**
 * SimCLR's and MoCo v2's projection head, dense - ReLU - dense, drawn from the seed. It trains beside the
 * encoder and is dropped afterwards: θ_p is the encoder. Owns its variables: call dispose().
 */
export class ProjectionHead {
  readonly variables: tf.Variable[];

  constructor(features: number, shape: ProjectionShape, seed: number) {
    const w1 = heNormal([features, shape.hidden], deriveSeed(seed, 'projection', 1));
    const b1 = tf.tidy(() => tf.variable(tf.zeros([shape.hidden])));
    const w2 = heNormal([shape.hidden, shape.dim], deriveSeed(seed, 'projection', 2));
    this.variables = [w1, b1, w2];
  }

  apply(features: tf.Tensor2D): tf.Tensor2D {
    const [w1, b1, w2] = this.variables as [tf.Variable, tf.Variable, tf.Variable];
    return tf.tidy(() => tf.matMul(tf.relu(tf.add(tf.matMul(features, w1), b1)), w2) as tf.Tensor2D);
  }

  dispose(): void {
    tf.dispose(this.variables);
  }
}

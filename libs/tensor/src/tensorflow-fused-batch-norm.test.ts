import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@lth/core';
import { initBackend } from './backend';
import { batchNormalization, fusedBatchNormAvailable } from './tensorflow-fused-batch-norm';

/** One training call of a batch-norm layer: its output, the gradients of a weighted sum, the moving statistics. */
function trainingCall(layer: tf.layers.Layer, x: tf.Tensor4D, weights: tf.Tensor4D) {
  return tf.tidy(() => {
    layer.apply(x, { training: false }); // builds the variables
    const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const f = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, weights));
    const dx = tf.grad(f)(x);
    const { grads } = tf.variableGrads(() => f(x) as tf.Scalar, variables);
    const y = layer.apply(x, { training: false }) as tf.Tensor; // by the moving statistics
    const arrays = [dx, ...variables.map((v) => grads[v.name]!), y, ...layer.nonTrainableWeights.map((w) => w.read())];
    return arrays.map((t) => Array.from(t.dataSync()));
  });
}

function maxDifference(a: number[][], b: number[][]): number {
  let max = 0;
  a.forEach((xs, i) => xs.forEach((x, j) => (max = Math.max(max, Math.abs(x - b[i]![j]!) / Math.max(1, Math.abs(x))))));
  return max;
}

test('native fused batch norm equals the composed ops: outputs, gradients, moving statistics', async (t) => {
  let native = true;
  try {
    await initBackend('tensorflow');
  } catch {
    native = false;
  }
  const rng = createRng(2);
  const x = tf.tensor4d(
    Float32Array.from({ length: 8 * 6 * 6 * 5 }, () => rng.normal() * 3 + 1),
    [8, 6, 6, 5],
  );
  const weights = tf.tensor4d(Float32Array.from({ length: 8 * 6 * 6 * 5 }, rng.normal), [8, 6, 6, 5]);
  const args = { momentum: 0.9, epsilon: 1e-5 };
  const fused = trainingCall(batchNormalization({ name: 'fused', ...args }), x, weights);
  const composed = trainingCall(tf.layers.batchNormalization({ name: 'composed', ...args }), x, weights);
  tf.dispose([x, weights]);
  assert.equal(fusedBatchNormAvailable(), native, 'the fused path is taken exactly on native TensorFlow');
  const difference = maxDifference(fused, composed);
  t.diagnostic(`${native ? 'fused' : 'fallback'} vs composed: ${difference.toExponential(1)} (relative)`);
  assert.ok(difference < 1e-4, `they differ by ${difference}`);
});

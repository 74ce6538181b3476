import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@lth/core';
import { initBackend } from './backend';
import { registerTensorflowReluGrad } from './tensorflow-relu-grad';

test('the ReLU gradient is dy where x > 0 and 0 elsewhere (zero included), on native and elsewhere', async (t) => {
  const backend = await initBackend('tensorflow').catch(() => initBackend('wasm'));
  registerTensorflowReluGrad(); // as initBackend does on native; a no-op change of formula elsewhere
  const rng = createRng(8);
  const xs = Float32Array.from({ length: 4096 }, (_, i) => (i % 7 === 0 ? 0 : rng.normal()));
  const dys = Float32Array.from({ length: 4096 }, rng.normal);
  const got = tf.tidy(() => {
    const dy = tf.tensor4d(dys, [4, 8, 8, 16]);
    return Array.from(
      tf
        .grad((x: tf.Tensor) => tf.sum(tf.mul(tf.relu(x), dy)))(tf.tensor4d(xs, [4, 8, 8, 16]))
        .dataSync(),
    );
  });
  t.diagnostic(`on ${backend.backend}`);
  // -0 (dy < 0 times 0) is zero too.
  assert.deepEqual(
    got.map((v) => v + 0),
    Array.from(xs, (x, i) => (x > 0 ? dys[i]! : 0)),
  );
  assert.equal(tf.memory().numTensors, 0);
});

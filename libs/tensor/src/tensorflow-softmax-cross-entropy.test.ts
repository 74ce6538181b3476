import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@lth/core';
import { initBackend } from './backend';
import { softmaxCrossEntropy } from './tensorflow-softmax-cross-entropy';

test('softmax cross-entropy in one op equals tf.losses.softmaxCrossEntropy: loss and gradients', async (t) => {
  const backend = await initBackend('tensorflow').catch(() => initBackend('wasm'));
  const rng = createRng(3);
  const logits = tf.tensor2d(
    Float32Array.from({ length: 32 * 10 }, () => rng.normal() * 4),
    [32, 10],
  );
  // Soft labels (rows summing to 1) as well as one-hot ones: both are what the loss accepts.
  const oneHot = tf.tidy(() =>
    tf
      .oneHot(
        tf.tensor1d(
          Array.from({ length: 32 }, () => rng.int(10)),
          'int32',
        ),
        10,
      )
      .toFloat(),
  );
  const soft = tf.tidy(() => tf.softmax(tf.tensor2d(Float32Array.from({ length: 32 * 10 }, rng.normal), [32, 10])));
  const largestDifference = (a: number[][], b: number[][]) =>
    Math.max(...a.flatMap((xs, i) => xs.map((v, j) => Math.abs(v - b[i]![j]!))));
  for (const [kind, labels] of [
    ['one-hot', oneHot],
    ['soft', soft],
  ] as [string, tf.Tensor][]) {
    const [got, expected] = [softmaxCrossEntropy, tf.losses.softmaxCrossEntropy].map((loss) =>
      tf.tidy(() => {
        const f = (z: tf.Tensor) => loss(labels, z) as tf.Scalar;
        return [f(logits), tf.grad(f)(logits)].map((x) => Array.from(x.dataSync()));
      }),
    );
    const difference = largestDifference(got!, expected!);
    t.diagnostic(`${backend.backend}, ${kind} labels: largest difference ${difference.toExponential(1)}`);
    assert.ok(difference < 1e-5, `${kind}: loss or logits gradient differ by ${difference}`);
    // The labels' gradient is -log softmax / batch, as TensorFlow's (tfjs's own composes another formula).
    const [dLabels, analytic] = tf.tidy(() =>
      [
        tf.grad((y: tf.Tensor) => softmaxCrossEntropy(y, logits))(labels),
        tf.div(tf.neg(tf.logSoftmax(logits)), 32),
      ].map((x) => Array.from(x.dataSync())),
    );
    if (backend.backend === 'tensorflow') assert.ok(largestDifference([dLabels!], [analytic!]) < 1e-5, kind);
  }
  tf.dispose([logits, oneHot, soft]);
  assert.equal(tf.memory().numTensors, 0);
});

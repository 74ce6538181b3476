import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@lth/core';
import { initBackend } from './backend';
import { tensorflowKernelBackend } from './tensorflow-kernel-backend';
import { dense } from './tensorflow-dense';

/** A dense layer's output and the gradients of a weighted sum of it: input, kernel, bias. */
function denseCall(layer: tf.layers.Layer, x: tf.Tensor2D, weights: tf.Tensor2D): number[][] {
  return tf.tidy(() => {
    const [kernel, bias] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const f = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, weights)) as tf.Scalar;
    const dx = tf.grad(f)(x);
    const { grads } = tf.variableGrads(() => f(x), [kernel!, bias!]);
    return [layer.apply(x) as tf.Tensor, dx, grads[kernel!.name]!, grads[bias!.name]!].map((t) =>
      Array.from(t.dataSync()),
    );
  });
}

test('the one-kernel dense layer equals tfjs-layers Dense: output and every gradient, ReLU or linear', async (t) => {
  const backend = await initBackend('tensorflow').catch(() => initBackend('wasm'));
  const rng = createRng(5);
  const x = tf.tensor2d(Float32Array.from({ length: 16 * 20 }, rng.normal), [16, 20]);
  const weights = tf.tensor2d(Float32Array.from({ length: 16 * 12 }, rng.normal), [16, 12]);
  for (const activation of ['relu', 'linear'] as const) {
    const init = { kernelInitializer: 'glorotNormal', biasInitializer: 'randomNormal' } as const;
    const ours = dense({ units: 12, activation, name: `ours-${activation}` });
    const theirs = tf.layers.dense({ units: 12, activation, name: `theirs-${activation}`, ...init });
    tf.tidy(() => void [theirs.apply(x), ours.apply(x)]); // builds their variables
    ours.setWeights(theirs.getWeights()); // the same weights, a non-zero bias among them
    const got = denseCall(ours, x, weights);
    const expected = denseCall(theirs, x, weights);
    let max = 0;
    got.forEach((xs, i) => xs.forEach((v, j) => (max = Math.max(max, Math.abs(v - expected[i]![j]!)))));
    t.diagnostic(`${backend.backend}, ${activation}: largest difference ${max.toExponential(1)}`);
    assert.ok(max < 1e-5, `${activation}: they differ by ${max}`);
    ours.dispose();
    theirs.dispose();
  }
  tf.dispose([x, weights]);
  assert.equal(tf.memory().numTensors, 0, 'every tensor the kernels made is released');
});

test('a dense layer on native TensorFlow runs three ops forward; an input gradient only when asked', async () => {
  const backend = await initBackend('tensorflow').catch(() => initBackend('wasm'));
  const native = tensorflowKernelBackend();
  assert.equal(native !== undefined, backend.backend === 'tensorflow');
  const layer = dense({ units: 4, activation: 'relu', name: 'counted' });
  const x = tf.ones([2, 3]) as tf.Tensor2D;
  tf.tidy(() => void layer.apply(x));
  const kernel = layer.trainableWeights[0]!.read() as tf.Variable;
  const loss = () => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar;
  if (!native) {
    const profile = await tf.profile(() => void tf.tidy(() => void tf.variableGrads(loss, [kernel])));
    const names = profile.kernels.map((k) => k.name);
    assert.ok(names.includes('_FusedMatMul'), `tfjs-layers' own path elsewhere: ${names.join(', ')}`);
  } else {
    // The TensorFlow ops the backend runs, by name.
    const ops: string[] = [];
    const execute = native.executeSingleOutput.bind(native);
    native.executeSingleOutput = (name, attrs, inputs) => (ops.push(name), execute(name, attrs, inputs));
    try {
      tf.tidy(() => void layer.apply(x));
      assert.deepEqual(ops.splice(0), ['MatMul', 'BiasAdd', 'Relu']);
      tf.tidy(() => void tf.variableGrads(loss, [kernel]));
      assert.equal(ops.filter((o) => o === 'MatMul').length, 2, `x is not trained: ${ops.join(', ')}`);
      assert.ok(ops.includes('ReluGrad') && !ops.includes('BiasAddGrad'), ops.join(', '));
      ops.length = 0;
      tf.tidy(() => void tf.grad((input: tf.Tensor) => tf.sum(layer.apply(input) as tf.Tensor))(x));
      assert.equal(ops.filter((o) => o === 'MatMul').length, 2, `forward, and the input's gradient: ${ops.join(', ')}`);
    } finally {
      native.executeSingleOutput = execute;
    }
  }
  tf.dispose(x);
  layer.dispose();
});

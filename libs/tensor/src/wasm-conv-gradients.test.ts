import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createRng } from '@lth/core';
import { registerWasmConv2DBackpropFilter } from './wasm-conv-backprop-filter';
import { registerWasmConv2DBackpropInput } from './wasm-conv-backprop-input';

function random(shape: number[], seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
}

type Case = [number[], number[], number, 'same' | 'valid'];
const CASES: Case[] = [
  [[2, 8, 8, 3], [3, 3, 3, 4], 1, 'same'],
  [[2, 9, 9, 4], [3, 3, 4, 5], 2, 'same'],
  [[2, 8, 8, 4], [3, 3, 4, 5], 2, 'same'],
  [[3, 8, 8, 4], [1, 1, 4, 6], 2, 'same'],
  [[2, 7, 7, 2], [3, 3, 2, 3], 1, 'valid'],
  [[1, 10, 10, 2], [5, 5, 2, 2], 2, 'valid'],
  [[1, 11, 9, 2], [3, 5, 2, 3], 3, 'same'],
];

/** Gradients of a conv layer's loss with respect to its filter and its input. */
async function gradients(
  backend: string,
  [xs, fs, stride, pad]: Case,
): Promise<{ filter: Float32Array; input: Float32Array }> {
  await tf.setBackend(backend);
  const x = tf.tensor4d(random(xs, 1), xs as [number, number, number, number]);
  const f = tf.tensor4d(random(fs, 2), fs as [number, number, number, number]);
  const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad))),
  )([x, f]);
  const out = { input: (await gx!.data()) as Float32Array, filter: (await gf!.data()) as Float32Array };
  tf.dispose([x, f, gx!, gf!]);
  return out;
}

function worstRelativeError(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++)
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!)));
  return worst;
}

test('the wasm convolution gradient kernels equal the plain-JS gradients and leak nothing', async () => {
  registerWasmConv2DBackpropFilter();
  registerWasmConv2DBackpropInput();
  for (const c of CASES) {
    const expected = await gradients('cpu', c);
    await gradients('wasm', c); // burn-in
    const before = tf.memory().numTensors;
    const actual = await gradients('wasm', c);
    assert.equal(tf.memory().numTensors, before, 'a kernel leaks tensors');
    const where = `x ${c[0]} filter ${c[1]} stride ${c[2]} ${c[3]}`;
    assert.ok(worstRelativeError(actual.filter, expected.filter) < 1e-4, `filter gradient, ${where}`);
    assert.ok(worstRelativeError(actual.input, expected.input) < 1e-4, `input gradient, ${where}`);
  }
});

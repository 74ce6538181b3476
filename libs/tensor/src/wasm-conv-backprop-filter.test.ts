import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createRng } from '@lth/core';
import { registerWasmConv2DBackpropFilter } from './wasm-conv-backprop-filter';

function random(shape: number[], seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
}

async function filterGradient(backend: string, xShape: number[], fShape: number[], stride: number, pad: 'same' | 'valid'): Promise<Float32Array> {
  await tf.setBackend(backend);
  const x = tf.tensor4d(random(xShape, 1), xShape as [number, number, number, number]);
  const f = tf.tensor4d(random(fShape, 2), fShape as [number, number, number, number]);
  const g = tf.grad((filter: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, filter as tf.Tensor4D, stride, pad))))(f);
  const out = (await g.data()) as Float32Array;
  tf.dispose([x, f, g]);
  return out;
}

test('the wasm Conv2DBackpropFilter kernel equals the plain-JS gradient', async () => {
  registerWasmConv2DBackpropFilter();
  const cases: [number[], number[], number, 'same' | 'valid'][] = [
    [[2, 8, 8, 3], [3, 3, 3, 4], 1, 'same'],
    [[2, 9, 9, 4], [3, 3, 4, 5], 2, 'same'],
    [[3, 8, 8, 4], [1, 1, 4, 6], 2, 'same'],
    [[2, 7, 7, 2], [3, 3, 2, 3], 1, 'valid'],
    [[1, 10, 10, 2], [5, 5, 2, 2], 2, 'valid'],
  ];
  for (const [xs, fs, stride, pad] of cases) {
    const expected = await filterGradient('cpu', xs, fs, stride, pad);
    const before = tf.memory().numTensors;
    const actual = await filterGradient('wasm', xs, fs, stride, pad);
    assert.equal(tf.memory().numTensors, before, 'the kernel leaks tensors');
    assert.equal(actual.length, expected.length);
    let worst = 0;
    for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!)));
    assert.ok(worst < 1e-4, `x ${xs} filter ${fs} stride ${stride} ${pad}: relative error ${worst}`);
  }
});

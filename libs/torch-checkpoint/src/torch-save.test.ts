import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WeightTensor } from '@lth/core';
import { stateDictOf } from './state-dict';
import { readTorchCheckpoint } from './torch-checkpoint';
import { torchStateDictFile } from './torch-save';

const ramp = (n: number) => Float32Array.from({ length: n }, (_, i) => i - n / 2);

test('a written state_dict reads back: torchvision keys, PyTorch layouts, every value', () => {
  const weights: WeightTensor[] = [
    // [h, w, in, out] = [2, 3, 2, 4] -> [4, 2, 2, 3]
    { name: 'layer1_0_conv1/kernel', shape: [2, 3, 2, 4], values: ramp(48) },
    { name: 'layer1_0_bn1/moving_variance', shape: [4], values: Float32Array.of(1, 2, 3, 4) },
    { name: 'fc1/kernel', shape: [3, 2], values: Float32Array.of(1, 2, 3, 4, 5, 6) },
  ];
  const { tensors } = stateDictOf(readTorchCheckpoint(torchStateDictFile(weights)));
  assert.deepEqual([...tensors.keys()], ['layer1.0.conv1.weight', 'layer1.0.bn1.running_var', 'fc1.weight']);
  const conv = tensors.get('layer1.0.conv1.weight')!;
  assert.deepEqual(conv.shape, [4, 2, 2, 3]);
  // torch[o][i][y][x] = tf[y][x][i][o]
  const tf = (y: number, x: number, i: number, o: number) => weights[0]!.values[((y * 3 + x) * 2 + i) * 4 + o];
  assert.equal(conv.values![((3 * 2 + 1) * 2 + 1) * 3 + 2], tf(1, 2, 1, 3));
  assert.equal(conv.values![((1 * 2 + 0) * 2 + 0) * 3 + 1], tf(0, 1, 0, 1));
  assert.deepEqual([...tensors.get('layer1.0.bn1.running_var')!.values!], [1, 2, 3, 4]);
  assert.deepEqual(tensors.get('fc1.weight')!.shape, [2, 3]);
  assert.deepEqual([...tensors.get('fc1.weight')!.values!], [1, 3, 5, 2, 4, 6]);
});

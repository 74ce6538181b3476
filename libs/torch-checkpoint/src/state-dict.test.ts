import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PyValue } from './pickle';
import { stateDictOf } from './state-dict';
import type { TorchTensor } from './torch-checkpoint';

const tensor = (...shape: number[]): TorchTensor => ({
  pyType: 'tensor',
  dtype: 'float32',
  shape,
  values: new Float32Array(shape.reduce((a, b) => a * b, 1)),
});
const dict = (entries: [string, PyValue][]) => new Map<string, PyValue>(entries);

test('finds the state_dict in the file, under state_dict, or under model', () => {
  const weights = dict([
    ['conv1.weight', tensor(64, 3, 7, 7)],
    ['fc.bias', tensor(10)],
  ]);
  assert.equal(stateDictOf(weights).foundIn, 'the file');
  assert.equal(
    stateDictOf(
      dict([
        ['state_dict', weights],
        ['epoch', 3],
      ]),
    ).foundIn,
    'state_dict',
  );
  const inModel = stateDictOf(
    dict([
      ['model', weights],
      ['optimizer', dict([])],
      ['args', 'x'],
    ]),
  );
  assert.equal(inModel.foundIn, 'model');
  assert.deepEqual([...inModel.tensors.keys()], ['conv1.weight', 'fc.bias']);
});

test('a prefix keeps only the keys under it, without it, and counts the rest', () => {
  const moco = dict([
    ['module.encoder_q.conv1.weight', tensor(64, 3, 7, 7)],
    ['module.encoder_k.conv1.weight', tensor(64, 3, 7, 7)],
    ['module.queue', tensor(128, 4)],
  ]);
  const picked = stateDictOf(dict([['state_dict', moco]]), 'module.encoder_q.');
  assert.deepEqual([...picked.tensors.keys()], ['conv1.weight']);
  assert.equal(picked.outsidePrefix, 2);
  assert.throws(() => stateDictOf(moco, 'encoder.'), /no key starts with "encoder\." \(keys start with "module\."\)/);
});

test('a file without a dict of tensors says what it holds instead', () => {
  assert.throws(
    () =>
      stateDictOf(
        dict([
          ['epoch', 3],
          ['best_acc1', 76.1],
        ]),
      ),
    /no state_dict: .* \(its keys: "epoch", "best_acc1"\)/,
  );
  assert.throws(() => stateDictOf([1, 2, 3]), /no state_dict/);
});

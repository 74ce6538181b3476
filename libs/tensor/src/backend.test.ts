import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, initBackend, parseBackendChoice } from './backend';

function installed(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

test('auto takes the first backend that loads and says why it skipped the others', async () => {
  const report = await initBackend('auto');
  assert.equal(tf.getBackend(), report.backend.startsWith('tensorflow') ? 'tensorflow' : report.backend);
  const expectedFirst = installed('@tensorflow/tfjs-node-gpu')
    ? 'tensorflow-gpu'
    : installed('@tensorflow/tfjs-node')
      ? 'tensorflow'
      : 'wasm';
  assert.equal(report.backend, expectedFirst);
  assert.deepEqual(
    report.skipped.map((s) => s.backend),
    BACKENDS.slice(0, BACKENDS.indexOf(report.backend)),
  );
  for (const s of report.skipped) assert.match(s.reason, /Cannot find module|did not initialise|libtensorflow/);
});

test('a backend name that does not exist is refused, naming the choices', () => {
  assert.throws(
    () => parseBackendChoice('gpu'),
    /LTH_BACKEND "gpu" is not one of auto, tensorflow-gpu, tensorflow, wasm, cpu/,
  );
  assert.equal(parseBackendChoice(undefined), 'auto');
});

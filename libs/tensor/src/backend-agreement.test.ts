import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@lth/core';
import { initBackend, type BackendName } from './backend';
import { Network } from './network';
import { MaskedTrainer } from './masked-trainer';
import { batchTensors } from './pixels';
import { TEST_OPTIMIZER } from './test-optimizer';

/**
 * The same seed and data give the same training on every backend, up to float32 rounding: each
 * backend sums in its own order. Stated tolerance after 4 SGD steps with momentum: weights within
 * 1e-5 (absolute) and the loss within 1e-5 (relative) of the plain-JS reference (measured: 1e-7 to 5e-7).
 */
const WEIGHT_TOLERANCE = 1e-5;
const LOSS_TOLERANCE = 1e-5;

const input = { height: 12, width: 12, channels: 1 };
const optimizer = TEST_OPTIMIZER;

async function trainOn(backend: BackendName, model: string) {
  await initBackend(backend);
  const net = new Network(model, input, 4);
  net.initialize(3);
  const trainer = new MaskedTrainer(net, undefined, optimizer);
  const rng = createRng(5);
  for (let s = 0; s < 4; s++) {
    const pixels = Uint8Array.from({ length: 16 * 144 }, () => rng.int(256));
    const labels = Uint8Array.from({ length: 16 }, () => rng.int(4));
    const { x, y } = batchTensors(pixels, labels, { input, numClasses: 4 });
    trainer.step(x, y, optimizer.learningRate);
    tf.dispose([x, y]);
  }
  const loss = await trainer.takeMeanLoss();
  const weights = await net.getWeights();
  trainer.dispose();
  net.dispose();
  return { loss, weights };
}

/** The backends this machine has besides the plain-JS reference (native only after `npm run native`). */
async function others(): Promise<BackendName[]> {
  const found: BackendName[] = [];
  for (const backend of ['wasm', 'tensorflow'] as const) {
    try {
      await initBackend(backend);
      found.push(backend);
    } catch {
      // not installed here: compared where it is
    }
  }
  return found;
}

for (const model of ['lenet-300-100', 'resnet-8']) {
  test(`${model}: every backend trains to the plain-JS reference within the stated tolerance`, async (t) => {
    const reference = await trainOn('cpu', model);
    const backends = await others();
    assert.ok(backends.includes('wasm'), 'wasm is a dependency: it always loads');
    for (const backend of backends) {
      const got = await trainOn(backend, model);
      const lossError = Math.abs(got.loss - reference.loss) / Math.abs(reference.loss);
      let weightError = 0;
      got.weights.forEach((w, i) => {
        const r = reference.weights[i]!;
        assert.equal(w.name, r.name);
        for (let j = 0; j < w.values.length; j++)
          weightError = Math.max(weightError, Math.abs(w.values[j]! - r.values[j]!));
      });
      t.diagnostic(`${backend}: loss ${lossError.toExponential(1)} relative, weights ${weightError.toExponential(1)}`);
      assert.ok(lossError <= LOSS_TOLERANCE, `${backend} loss differs by ${lossError} (relative)`);
      assert.ok(weightError <= WEIGHT_TOLERANCE, `${backend} weights differ by up to ${weightError}`);
    }
  });
}

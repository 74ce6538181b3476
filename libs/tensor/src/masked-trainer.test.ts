import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng, pruneByMagnitude, type Mask } from '@lth/core';
import { initBackend } from './backend';
import { Network } from './network';
import { MaskedTrainer } from './masked-trainer';
import { Evaluator } from './evaluator';
import { batchTensors } from './pixels';
import { TEST_OPTIMIZER } from './test-optimizer';

const input = { height: 12, width: 12, channels: 1 };
const optimizer = TEST_OPTIMIZER;

function batch(seed: number, n = 32) {
  const rng = createRng(seed);
  const labels = Uint8Array.from({ length: n }, () => rng.int(4));
  // Each class lights up its own quadrant, so the task is learnable.
  const pixels = new Uint8Array(n * 144);
  labels.forEach((l, i) => {
    for (let p = 0; p < 144; p++) {
      const r = Math.floor(p / 12);
      const c = p % 12;
      const q = (r < 6 ? 0 : 2) + (c < 6 ? 0 : 1);
      pixels[i * 144 + p] = q === l ? 150 + rng.int(100) : rng.int(60);
    }
  });
  return { pixels, labels };
}

async function train(model: string, mask: Mask | undefined, steps: number, seed = 1) {
  const net = new Network(model, input, 4);
  net.initialize(seed);
  const trainer = new MaskedTrainer(net, mask, optimizer);
  for (let s = 0; s < steps; s++) {
    const b = batch(100 + s);
    const { x, y } = batchTensors(b.pixels, b.labels, { input, numClasses: 4 });
    trainer.step(x, y, optimizer.learningRate);
    tf.dispose([x, y]);
  }
  const loss = await trainer.takeMeanLoss();
  trainer.dispose();
  return { net, loss };
}

before(async () => {
  const report = await initBackend();
  assert.equal(tf.getBackend(), report.backend === 'tensorflow-gpu' ? 'tensorflow' : report.backend);
});

for (const model of ['lenet-300-100', 'resnet-8']) {
  test(`${model}: pruned weights stay exactly zero through fine-tuning, and training learns`, async () => {
    const init = new Network(model, input, 4);
    init.initialize(1);
    const mask = pruneByMagnitude(await init.getWeights(), undefined, {
      strategy: 'global',
      rate: 0.5,
      excludePatterns: [],
      pruneStem: false,
    });
    init.dispose();
    const { net, loss } = await train(model, mask, 12);
    const weights = await net.getWeights();
    let pruned = 0;
    for (const w of weights) {
      const m = mask.get(w.name);
      if (!m) continue;
      w.values.forEach((v, i) => {
        if (!m.keep[i]) {
          pruned++;
          // -0 is exactly zero too (0 * negative).
          assert.ok(v === 0, `${w.name}[${i}] = ${v} after training`);
        }
      });
    }
    assert.ok(pruned > 1000);
    const evaluator = new Evaluator(net);
    const b = batch(999, 64);
    const { x, y } = batchTensors(b.pixels, b.labels, { input, numClasses: 4 });
    evaluator.add(x, y);
    tf.dispose([x, y]);
    const result = await evaluator.result();
    evaluator.dispose();
    net.dispose();
    assert.ok(Number.isFinite(loss));
    assert.ok(result.accuracy > 0.5, `${model} accuracy ${result.accuracy} after 12 steps on an easy task`);
  });

  test(`${model}: no tensors leak across training, evaluation and disposal`, async () => {
    const round = async () => {
      const { net } = await train(model, undefined, 2);
      const evaluator = new Evaluator(net);
      const b = batch(5, 16);
      const { x, y } = batchTensors(b.pixels, b.labels, { input, numClasses: 4 });
      evaluator.add(x, y);
      tf.dispose([x, y]);
      await evaluator.result();
      evaluator.dispose();
      net.dispose();
    };
    await round(); // burn-in: kernels and caches
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) await round();
    assert.equal(tf.memory().numTensors, before);
  });
}

test('the same seed gives the same weights; another seed does not', async () => {
  const a = await train('resnet-8', undefined, 3, 7);
  const b = await train('resnet-8', undefined, 3, 7);
  const c = await train('resnet-8', undefined, 3, 8);
  const [wa, wb, wc] = await Promise.all([a.net.getWeights(), b.net.getWeights(), c.net.getWeights()]);
  assert.deepEqual(wa, wb);
  assert.notDeepEqual(wa[0]!.values, wc[0]!.values);
  [a, b, c].forEach((r) => r.net.dispose());
});

test('weights that do not fit the model are refused with the names at fault', async () => {
  const net = new Network('lenet-300-100', input, 4);
  const other = new Network('lenet-300-100', { ...input, height: 10 }, 4);
  other.initialize(0);
  assert.throws(() => net.setWeights([]), /missing fc1\/kernel/);
  const weights = await other.getWeights();
  assert.throws(
    () => net.setWeights(weights),
    (e: unknown) =>
      (e as { kind: string }).kind === 'failed-precondition' &&
      /fc1\/kernel has shape \[120,300\]/.test((e as Error).message),
  );
  net.dispose();
  other.dispose();
});

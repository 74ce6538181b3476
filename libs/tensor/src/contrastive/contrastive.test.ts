import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng, pruneByMagnitude, type ViewRecipe } from '@lth/core';
import { initBackend } from '../backend';
import { MaskedTrainer } from '../masked-trainer';
import { Network } from '../network';
import { TEST_OPTIMIZER } from '../test-optimizer';
import { ContrastiveObjective, enqueued, momentumUpdate, type ContrastiveSettings } from './contrastive-objective';
import { ntXentLoss, queueInfoNceLoss } from './losses';
import { viewOf } from './views';

before(async () => {
  await initBackend();
});

const randomRows = (rows: number, cols: number, seed: number) => {
  const rng = createRng(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal()));
};
const unit = (v: number[]) => {
  const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  return v.map((x) => x / n);
};
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const logSoftmaxAt = (logits: number[], i: number) => {
  const max = Math.max(...logits);
  const sum = logits.reduce((s, l) => s + Math.exp(l - max), 0);
  return logits[i]! - max - Math.log(sum);
};

test('NT-Xent equals its definition: each view against its pair, the other 2N - 2 views as negatives', () => {
  const [a, b] = [randomRows(5, 3, 1), randomRows(5, 3, 2)];
  const z = [...a, ...b].map(unit);
  let expected = 0;
  for (let i = 0; i < 10; i++) {
    const logits = z.map((other, j) => (j === i ? -Infinity : dot(z[i]!, other) / 0.5));
    expected -= logSoftmaxAt(logits, (i + 5) % 10);
  }
  expected /= 10;
  const loss = ntXentLoss(tf.tensor2d(a), tf.tensor2d(b), 0.5);
  assert.ok(Math.abs(loss.dataSync()[0]! - expected) < 1e-4, `${loss.dataSync()[0]} vs ${expected}`);
  tf.dispose(loss);
});

test("MoCo's InfoNCE equals its definition: the key first, then the queue", () => {
  const [q, k, queue] = [randomRows(4, 3, 1), randomRows(4, 3, 2).map(unit), randomRows(6, 3, 3).map(unit)];
  let expected = 0;
  for (let i = 0; i < 4; i++) {
    const u = unit(q[i]!);
    expected -= logSoftmaxAt(
      [dot(u, k[i]!), ...queue.map((n) => dot(u, n))].map((l) => l / 0.2),
      0,
    );
  }
  expected /= 4;
  const loss = queueInfoNceLoss(tf.tensor2d(q), tf.tensor2d(k), tf.tensor2d(queue), 0.2);
  assert.ok(Math.abs(loss.dataSync()[0]! - expected) < 1e-4, `${loss.dataSync()[0]} vs ${expected}`);
  tf.dispose(loss);
});

test("MoCo's key encoder follows the query by m k + (1 - m) q; its queue is first in, first out, its size kept", () => {
  const key = tf.variable(tf.tensor1d([1, 2, 4]));
  const query = tf.variable(tf.tensor1d([3, 2, 0]));
  momentumUpdate([key], [query], 0.75);
  assert.deepEqual(Array.from(key.dataSync()), [1.5, 2, 3]);
  assert.deepEqual(Array.from(query.dataSync()), [3, 2, 0], 'the query is not touched');
  const queue = tf.tensor2d([[1], [2], [3], [4]]);
  const once = enqueued(queue, tf.tensor2d([[5], [6]]));
  assert.deepEqual(Array.from(once.dataSync()), [5, 6, 1, 2], 'the newest in front, the two oldest dropped');
  const twice = enqueued(once, tf.tensor2d([[7], [8], [9]]));
  assert.deepEqual(Array.from(twice.dataSync()), [7, 8, 9, 5]);
  tf.dispose([key, query, queue, once, twice]);
});

const still: ViewRecipe = {
  minCropScale: 1,
  horizontalFlip: false,
  brightness: 0,
  contrast: 0,
  saturation: 0,
  noiseStd: 0,
};
const draws = (boxes: number[], brightness = 1) => ({
  boxes: Float32Array.from(boxes),
  brightness: Float32Array.of(brightness),
  contrast: Float32Array.of(1),
  saturation: Float32Array.of(1),
  noiseSeed: 1,
});

test('a view: the whole-image box is the image, a reversed box its mirror, brightness scales and clips', async () => {
  const values = Array.from({ length: 5 * 4 * 2 }, (_, i) => (i % 13) / 13);
  const image = tf.tensor4d(values, [1, 5, 4, 2]);
  const whole = viewOf(image, draws([0, 0, 1, 1]), still);
  assert.ok(tf.max(tf.abs(tf.sub(whole, image))).dataSync()[0]! < 1e-6);
  const mirrored = viewOf(image, draws([0, 1, 1, 0]), still);
  assert.ok(tf.max(tf.abs(tf.sub(mirrored, tf.reverse(image, 2)))).dataSync()[0]! < 1e-6);
  const brighter = viewOf(image, draws([0, 0, 1, 1], 1.5), { ...still, brightness: 0.5 });
  const expected = tf.clipByValue(tf.mul(image, 1.5), 0, 1);
  assert.ok(tf.max(tf.abs(tf.sub(brighter, expected))).dataSync()[0]! < 1e-6);
  tf.dispose([image, whole, mirrored, brighter, expected]);
});

const input = { height: 12, width: 12, channels: 1 };
const views: ViewRecipe = {
  minCropScale: 0.3,
  horizontalFlip: true,
  brightness: 0.4,
  contrast: 0.4,
  saturation: 0,
  noiseStd: 0.05,
};
const settings = (method: ContrastiveSettings['method']): ContrastiveSettings => ({
  method,
  temperature: method === 'simclr' ? 0.5 : 0.2,
  projection: { hidden: 32, dim: 16 },
  keyMomentum: 0.99,
  queueSize: 64,
  views,
});

function batch(seed: number, count = 16) {
  const rng = createRng(seed);
  // Four kinds of image: a bright quadrant each, on noise.
  const pixels = new Uint8Array(count * 144);
  for (let n = 0; n < count; n++) {
    const q = rng.int(4);
    for (let p = 0; p < 144; p++) {
      const inQuadrant = (Math.floor(p / 12) < 6 ? 0 : 2) + (p % 12 < 6 ? 0 : 1) === q;
      pixels[n * 144 + p] = inQuadrant ? 150 + rng.int(100) : rng.int(60);
    }
  }
  return { count, pixels, labels: new Uint8Array(count) };
}

async function pretrain(method: ContrastiveSettings['method'], steps: number, pruned = false) {
  const network = new Network('resnet-8', input, 4);
  network.initialize(7);
  const mask = pruned
    ? pruneByMagnitude(await network.getWeights(), undefined, {
        strategy: 'global',
        rate: 0.5,
        excludePatterns: [],
        pruneStem: false,
      })
    : undefined;
  const objective = new ContrastiveObjective(network, settings(method), { seed: 3, normalization: undefined });
  const trainer = new MaskedTrainer(network, mask, TEST_OPTIMIZER, objective.extraVariables);
  const losses: number[] = [];
  const tensors: number[] = [];
  for (let step = 0; step < steps; step++) {
    objective.step(trainer, batch(step % 4), { learningRate: 0.05, step });
    if (step % 8 === 7) losses.push(await trainer.takeMeanLoss());
    tensors.push(tf.memory().numTensors);
  }
  objective.dispose();
  trainer.dispose();
  const weights = await network.getWeights();
  network.dispose();
  return { weights, losses, tensors, mask };
}

for (const method of ['simclr', 'moco'] as const) {
  test(`${method}: the loss falls; masked weights stay zero; no tensor leaks; same seed, same weights`, async () => {
    const before = tf.memory().numTensors;
    const { weights, losses, tensors, mask } = await pretrain(method, method === 'moco' ? 48 : 24, true);
    assert.equal(tf.memory().numTensors, before, 'everything it allocated is disposed');
    assert.ok(
      tensors.slice(1).every((n) => n === tensors[1]),
      `tensors per step: ${tensors.join(' ')}`,
    );
    assert.ok(losses.every(Number.isFinite));
    // MoCo's loss first rises: its queue starts as random vectors (easy negatives) and fills with real keys
    // (64 of them, four batches); it falls from there.
    const from = method === 'moco' ? losses[1]! : losses[0]!;
    assert.ok(losses[losses.length - 1]! < from, `losses ${losses.map((l) => l.toFixed(3)).join(' ')}`);
    for (const w of weights) {
      const m = mask!.get(w.name);
      if (m)
        assert.ok(
          w.values.every((v, i) => m.keep[i] || v === 0),
          w.name,
        );
    }
    const again = await pretrain(method, 6, true);
    const third = await pretrain(method, 6, true);
    assert.deepEqual(again.weights, third.weights);
  });
}

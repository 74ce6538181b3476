import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Mask, WeightTensor } from '../pruning/tensors';
import { perturbSurvivors } from './perturbation';
import { sensitivityCurves, type SensitivitySample } from './sensitivity-curves';

const n = 20000;
const weights: WeightTensor[] = [
  { name: 'conv/kernel', shape: [n], values: Float32Array.from({ length: n }, (_, i) => (i % 2 ? 3 : -3)) },
  { name: 'bn/gamma', shape: [4], values: Float32Array.of(1, 2, 3, 4) },
];
const mask: Mask = new Map([
  ['conv/kernel', { shape: [n], keep: Uint8Array.from({ length: n }, (_, i) => +(i % 4 < 3)) }],
]);

test('perturbation: noise of σ x the survivors’ rms on kept weights only; pruned stay 0, the rest untouched', () => {
  const [conv, gamma] = perturbSurvivors(weights, mask, { relativeScale: 0.1, seed: 7 });
  let sum = 0;
  let sumSquares = 0;
  let kept = 0;
  for (let i = 0; i < n; i++) {
    if (!mask.get('conv/kernel')!.keep[i]) {
      assert.equal(conv!.values[i], 0);
      continue;
    }
    const noise = conv!.values[i]! - weights[0]!.values[i]!;
    sum += noise;
    sumSquares += noise * noise;
    kept++;
  }
  const std = Math.sqrt(sumSquares / kept - (sum / kept) ** 2);
  assert.ok(Math.abs(std - 0.3) < 0.01, `noise std ${std}, expected 0.1 x rms 3`);
  assert.ok(Math.abs(sum / kept) < 0.01);
  assert.deepEqual(gamma, weights[1], 'batch norm is not in the mask: untouched');
});

test('perturbation: the same seed gives the same noise; σ = 0 is the ticket itself; a bad σ is refused', () => {
  const a = perturbSurvivors(weights, mask, { relativeScale: 0.2, seed: 1 });
  assert.deepEqual(a, perturbSurvivors(weights, mask, { relativeScale: 0.2, seed: 1 }));
  assert.notDeepEqual(a, perturbSurvivors(weights, mask, { relativeScale: 0.2, seed: 2 }));
  const ticket = perturbSurvivors(weights, mask, { relativeScale: 0, seed: 1 });
  assert.equal(ticket[0]!.values[3], 0);
  assert.equal(ticket[0]!.values[2], -3);
  assert.throws(() => perturbSurvivors(weights, mask, { relativeScale: -1, seed: 1 }), /relative_scale .* not -1/);
});

test('sensitivity curves: mean over replicates and draws per σ, and the drop against σ = 0', () => {
  const key = { model: 'm', pretraining: 'sup', task: 'a', objective: 'downstream' as const, rewind: 'pretrained' };
  const sample = (sigma: number, seed: number, draw: number, accuracy: number): SensitivitySample => ({
    ...key,
    experiment: `e${seed}`,
    seed,
    round: 2,
    sigma,
    draw,
    accuracy,
  });
  const points = sensitivityCurves([
    sample(0, 0, 0, 0.9),
    sample(0, 1, 0, 0.8),
    sample(0.5, 0, 0, 0.6),
    sample(0.5, 0, 1, 0.5),
    sample(0.5, 1, 0, 0.4),
    sample(0.5, 1, 1, 0.5),
  ]);
  assert.deepEqual(
    points.map((p) => [p.sigma, p.samples]),
    [
      [0, 2],
      [0.5, 4],
    ],
  );
  assert.ok(Math.abs(points[1]!.meanAccuracy - 0.5) < 1e-12);
  assert.ok(Math.abs(points[1]!.meanDrop! - 0.35) < 1e-12);
  assert.equal(points[0]!.meanDrop, 0);
});

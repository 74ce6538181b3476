import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchTensors, initBackend, tf } from '@lth/tensor';
import { inputNormalization } from './input-normalization';

test('a request normalisation is checked against the channels, named by field', () => {
  assert.equal(inputNormalization(undefined, 3), undefined);
  assert.equal(inputNormalization({ mean: [], std: [] }, 3), undefined);
  assert.deepEqual(inputNormalization({ mean: [0.5], std: [0.25] }, 3), { mean: [0.5], std: [0.25] });
  assert.throws(() => inputNormalization({ mean: [0.5, 0.5], std: [0.2, 0.2] }, 3), /2 mean\(s\) and 2 std\(s\) for 3/);
  // ImageNet's colour statistics on grey digits: their averages.
  const grey = inputNormalization({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, 1)!;
  assert.ok(Math.abs(grey.mean[0]! - 0.449) < 1e-9 && Math.abs(grey.std[0]! - 0.226) < 1e-9, JSON.stringify(grey));
  assert.equal(grey.mean.length, 1);
  assert.throws(
    () => inputNormalization({ mean: [0.5], std: [0] }, 1),
    /normalization\.std: every value must be positive/,
  );
  assert.throws(() => inputNormalization({ mean: [NaN], std: [1] }, 1), /normalization\.mean: /);
});

test('batches are normalised per channel on the device: (pixel / 255 - mean) / std', async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  const pixels = Uint8Array.of(0, 255, 51, 102, 255, 0);
  const normalization = { mean: [0.2, 0.4, 0.6], std: [0.5, 0.25, 2] };
  const input = { height: 1, width: 2, channels: 3 };
  const { x, y } = batchTensors(pixels, Uint8Array.of(1), { input, numClasses: 2, normalization });
  const values = [...(await x.data())];
  const expected = [
    (0 - 0.2) / 0.5,
    (1 - 0.4) / 0.25,
    (0.2 - 0.6) / 2,
    (0.4 - 0.2) / 0.5,
    (1 - 0.4) / 0.25,
    (0 - 0.6) / 2,
  ];
  values.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `${i}: ${v} vs ${expected[i]}`));
  tf.dispose([x, y]);
  assert.equal(tf.memory().numTensors, before);
});

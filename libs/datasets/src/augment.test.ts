import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '@lth/core';
import { augmentBatch, NO_AUGMENTATION } from './augment';

const shape = { height: 6, width: 5, channels: 2 };
const size = 6 * 5 * 2;
/** Pixel values that say where they are: 1 + (row * 5 + column) * 2 + channel, per image plus 100 * n. */
function batch(count: number) {
  const pixels = Uint8Array.from(
    { length: count * size },
    (_, i) => (Math.floor(i / size) * 100 + (i % size) + 1) % 256,
  );
  return { count, pixels, labels: new Uint8Array(count) };
}
const at = (pixels: Uint8Array, n: number, [r, c, k]: [number, number, number]) =>
  pixels[n * size + (r * 5 + c) * 2 + k]!;

test('crops are shifts of the image with zeros shifted in; flips mirror rows; labels never change', () => {
  const b = batch(64);
  const original = Uint8Array.from(b.pixels);
  augmentBatch(b, shape, { cropPadding: 2, horizontalFlip: true }, createRng(7));
  let shifted = 0;
  let flipped = 0;
  for (let n = 0; n < 64; n++) {
    // Recover each image's draw by finding the shift (and flip) that explains it.
    let explained = false;
    for (const flip of [false, true])
      for (let dy = -2; dy <= 2 && !explained; dy++)
        for (let dx = -2; dx <= 2 && !explained; dx++) {
          let ok = true;
          for (let r = 0; r < 6 && ok; r++)
            for (let c = 0; c < 5 && ok; c++)
              for (let k = 0; k < 2 && ok; k++) {
                const sr = r + dy;
                const sc = (flip ? 4 - c : c) + dx;
                const want = sr < 0 || sr >= 6 || sc < 0 || sc >= 5 ? 0 : at(original, n, [sr, sc, k]);
                ok = at(b.pixels, n, [r, c, k]) === want;
              }
          if (ok) {
            explained = true;
            if (dy !== 0 || dx !== 0) shifted++;
            if (flip) flipped++;
          }
        }
    assert.ok(explained, `image ${n} is no crop or flip of the original`);
  }
  // 64 images: most are shifted (24 in 25 draws are), about half flipped.
  assert.ok(shifted > 50, `${shifted} shifted`);
  assert.ok(flipped > 16 && flipped < 48, `${flipped} flipped`);
  assert.deepEqual([...b.labels], new Array(64).fill(0));
});

test('the same seed augments the same way; another seed does not; no recipe changes nothing', () => {
  const recipe = { cropPadding: 1, horizontalFlip: true };
  const [a, b, c] = [batch(16), batch(16), batch(16)];
  augmentBatch(a, shape, recipe, createRng(3));
  augmentBatch(b, shape, recipe, createRng(3));
  augmentBatch(c, shape, recipe, createRng(4));
  assert.deepEqual(a.pixels, b.pixels);
  assert.notDeepEqual(a.pixels, c.pixels);
  const plain = batch(16);
  augmentBatch(plain, shape, NO_AUGMENTATION, createRng(3));
  assert.deepEqual(plain.pixels, batch(16).pixels);
});

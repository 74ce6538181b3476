import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../random';
import { drawViews, type ViewRecipe } from './contrastive-views';

const recipe: ViewRecipe = {
  minCropScale: 0.2,
  horizontalFlip: true,
  brightness: 0.4,
  contrast: 0.4,
  saturation: 0,
  noiseStd: 0,
};

test('views: crops cover the drawn share of the image, inside it; half are mirrored; same seed, same views', () => {
  const views = drawViews(2000, recipe, createRng(3));
  let mirrored = 0;
  for (let i = 0; i < 2000; i++) {
    const [y1, x1, y2, x2] = views.boxes.subarray(4 * i, 4 * i + 4);
    const [left, right] = x1! <= x2! ? [x1!, x2!] : [x2!, x1!];
    if (x1! > x2!) mirrored++;
    assert.ok(y1! >= 0 && y2! <= 1 + 1e-6 && left >= 0 && right <= 1 + 1e-6, `box ${i} inside the image`);
    const area = (y2! - y1!) * (right - left);
    assert.ok(area >= 0.2 * 0.74 - 1e-6 && area <= 1 + 1e-6, `area ${area}`);
    assert.ok(views.brightness[i]! >= 0.6 && views.brightness[i]! <= 1.4);
    assert.equal(views.saturation[i], 1, 'saturation off: factor 1');
  }
  assert.ok(Math.abs(mirrored / 2000 - 0.5) < 0.05, `${mirrored} mirrored`);
  assert.deepEqual(drawViews(8, recipe, createRng(3)), drawViews(8, recipe, createRng(3)));
  assert.notDeepEqual(drawViews(8, recipe, createRng(3)).boxes, drawViews(8, recipe, createRng(4)).boxes);
  const noFlip = drawViews(500, { ...recipe, horizontalFlip: false }, createRng(3));
  for (let i = 0; i < 500; i++) assert.ok(noFlip.boxes[4 * i + 1]! <= noFlip.boxes[4 * i + 3]!);
});

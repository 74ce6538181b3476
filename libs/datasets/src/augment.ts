import type { Rng } from '@lth/core';

/** Random crops and flips of training images (the CIFAR recipe: He et al. 2016, 4.2). */
export interface AugmentationRecipe {
  /** Pad by this many zero pixels on each side, then crop back to the image's size at a random offset. */
  cropPadding: number;
  /** Mirror left-right with probability 1/2 (never for digits). */
  horizontalFlip: boolean;
}

export const NO_AUGMENTATION: AugmentationRecipe = { cropPadding: 0, horizontalFlip: false };

export const isAugmenting = (r: AugmentationRecipe): boolean => r.cropPadding > 0 || r.horizontalFlip;

/**
 * Augments a batch in place, on its uint8 pixels (NHWC), each example by its own draws from `rng`:
 * the crop's offsets (when padding), then the flip (when flipping). The same rng state gives the same
 * pixels. A shifted-out border becomes zeros, as padding with zeros and cropping does.
 */
export function augmentBatch(
  batch: { count: number; pixels: Uint8Array },
  shape: { height: number; width: number; channels: number },
  recipe: AugmentationRecipe,
  rng: Rng,
): void {
  if (!isAugmenting(recipe)) return;
  const { height, width, channels } = shape;
  const size = height * width * channels;
  const row = width * channels;
  const source = new Uint8Array(size);
  const p = recipe.cropPadding;
  for (let n = 0; n < batch.count; n++) {
    const image = batch.pixels.subarray(n * size, (n + 1) * size);
    // Offsets into the padded image, in [0, 2p]: the output's (r, c) is the input's (r + dy - p, c + dx - p).
    const dy = p > 0 ? rng.int(2 * p + 1) - p : 0;
    const dx = p > 0 ? rng.int(2 * p + 1) - p : 0;
    const flip = recipe.horizontalFlip && rng.next() < 0.5;
    if (dy === 0 && dx === 0 && !flip) continue;
    source.set(image);
    image.fill(0);
    for (let r = 0; r < height; r++) {
      const sr = r + dy;
      if (sr < 0 || sr >= height) continue;
      for (let c = 0; c < width; c++) {
        const sc = (flip ? width - 1 - c : c) + dx;
        if (sc < 0 || sc >= width) continue;
        const to = r * row + c * channels;
        const from = sr * row + sc * channels;
        for (let k = 0; k < channels; k++) image[to + k] = source[from + k]!;
      }
    }
  }
}

import type { Rng } from '../random';

/**
 * How each view of an image is drawn for contrastive pre-training (SimCLR's recipe, Chen et al. 2020,
 * appendix A, and MoCo v2's): a random resized crop, a horizontal flip, colour jitter, and noise in place
 * of blur (small images have too few pixels to blur meaningfully).
 */
export interface ViewRecipe {
  /** Random resized crop: the crop covers a fraction of the area drawn uniformly in [minCropScale, 1]. */
  minCropScale: number;
  /** Mirror left-right with probability 1/2 (off for digits, where it changes meaning). */
  horizontalFlip: boolean;
  /** Brightness factor uniform in [1 - b, 1 + b]; 0: off. */
  brightness: number;
  /** Contrast factor uniform in [1 - c, 1 + c] around each image's mean; 0: off. */
  contrast: number;
  /** Saturation factor uniform in [1 - s, 1 + s] (colour images only); 0: off. */
  saturation: number;
  /** Gaussian noise of this standard deviation, in pixel / 255 units; 0: off. */
  noiseStd: number;
}

/** The random draws of one view of a batch: what the device needs to make it, nothing image-sized. */
export interface ViewDraws {
  /** Per image, the crop box [y1, x1, y2, x2] in normalised coordinates; x1 > x2 mirrors the crop. */
  boxes: Float32Array;
  brightness: Float32Array;
  contrast: Float32Array;
  saturation: Float32Array;
  /** The seed of the view's noise (drawn on the device). */
  noiseSeed: number;
}

/** Aspect ratios of the crop, log-uniform in [3/4, 4/3], as torchvision's RandomResizedCrop draws them. */
const LOG_RATIO = [Math.log(3 / 4), Math.log(4 / 3)] as const;

const factor = (rng: Rng, spread: number) => (spread > 0 ? 1 - spread + 2 * spread * rng.next() : 1);

/**
 * Draws one view of `count` images from `rng`: the same rng state gives the same views on every backend.
 * A crop whose drawn width or height exceeds the image is clamped to it (torchvision retries, then falls
 * back to a centre crop; clamping keeps one draw per image).
 */
export function drawViews(count: number, recipe: ViewRecipe, rng: Rng): ViewDraws {
  const boxes = new Float32Array(4 * count);
  const brightness = new Float32Array(count);
  const contrast = new Float32Array(count);
  const saturation = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const scale = recipe.minCropScale + (1 - recipe.minCropScale) * rng.next();
    const ratio = Math.exp(LOG_RATIO[0] + (LOG_RATIO[1] - LOG_RATIO[0]) * rng.next());
    const w = Math.min(1, Math.sqrt(scale * ratio));
    const h = Math.min(1, Math.sqrt(scale / ratio));
    const top = (1 - h) * rng.next();
    const left = (1 - w) * rng.next();
    const flip = recipe.horizontalFlip && rng.next() < 0.5;
    boxes.set(flip ? [top, left + w, top + h, left] : [top, left, top + h, left + w], 4 * i);
    brightness[i] = factor(rng, recipe.brightness);
    contrast[i] = factor(rng, recipe.contrast);
    saturation[i] = factor(rng, recipe.saturation);
  }
  return { boxes, brightness, contrast, saturation, noiseSeed: rng.int(2 ** 31) };
}

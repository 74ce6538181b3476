import { InvalidArgumentError } from '../errors';
import { applyMask } from '../weights/weights-format';
import type { Mask, WeightTensor } from '../pruning/tensors';
import { createRng, deriveSeed } from '../random';

/** Gaussian noise on a ticket's surviving weights, `relativeScale` times each tensor's own scale. */
export interface Perturbation {
  /** σ: the noise's standard deviation over the root mean square of the tensor's surviving weights. */
  relativeScale: number;
  /** The draw: the same seed gives the same noise, on every backend (it is drawn here, not on the device). */
  seed: number;
}

/**
 * The ticket m ⊙ w with w_i + σ·rms·ε_i for every surviving weight (ε ~ N(0, 1), rms over the tensor's
 * survivors), the paper's probe of how sensitive masks of different pre-trainings are. Pruned weights stay
 * exactly 0 and tensors the mask does not cover (batch norm, biases, the head) are untouched, so only the
 * subnetwork is perturbed. Scaling by each tensor's own rms makes one σ mean the same for a stem and a
 * wide late layer.
 */
export function perturbSurvivors(weights: readonly WeightTensor[], mask: Mask, p: Perturbation): WeightTensor[] {
  if (!Number.isFinite(p.relativeScale) || p.relativeScale < 0)
    throw new InvalidArgumentError(`relative_scale must be a finite number >= 0, not ${p.relativeScale}`);
  const masked = applyMask(weights, mask);
  if (p.relativeScale === 0) return masked;
  return masked.map((w) => {
    const m = mask.get(w.name);
    if (!m) return w;
    let sumSquares = 0;
    let kept = 0;
    for (let i = 0; i < w.values.length; i++) {
      if (m.keep[i]) {
        sumSquares += w.values[i]! * w.values[i]!;
        kept++;
      }
    }
    if (kept === 0) return w;
    const std = p.relativeScale * Math.sqrt(sumSquares / kept);
    const rng = createRng(deriveSeed(p.seed, 'perturb', w.name));
    const values = Float32Array.from(w.values);
    for (let i = 0; i < values.length; i++) if (m.keep[i]) values[i]! += std * rng.normal();
    return { ...w, values };
  });
}

import { InvalidArgumentError } from '@lth/core';
import type { dataV1 } from '@lth/grpc-kit';
import type { InputNormalization } from '@lth/tensor';

/**
 * A request's normalisation, checked against the dataset's channels; undefined when unset or empty.
 * Colour statistics (three values) on grey images (one channel) are averaged: a grey image is a colour
 * image with three equal channels, which is how a colour pre-training (ImageNet) sees digits.
 */
export function inputNormalization(
  n: dataV1.Normalization | undefined,
  channels: number,
): InputNormalization | undefined {
  if (!n || (n.mean.length === 0 && n.std.length === 0)) return undefined;
  const average = (v: number[]) => [v.reduce((a, b) => a + b, 0) / v.length];
  const grey = channels === 1 && n.mean.length === 3 && n.std.length === 3;
  const mean = grey ? average(n.mean) : n.mean;
  const std = grey ? average(n.std) : n.std;
  if (mean.length !== std.length || (mean.length !== 1 && mean.length !== channels))
    throw new InvalidArgumentError(
      `normalization: ${mean.length} mean(s) and ${std.length} std(s) for ${channels} channel(s): ` +
        `give 1 or ${channels} of each`,
    );
  if (!mean.every(Number.isFinite)) throw new InvalidArgumentError('normalization.mean: every value must be finite');
  if (!std.every((s) => Number.isFinite(s) && s > 0))
    throw new InvalidArgumentError('normalization.std: every value must be positive');
  return { mean, std };
}

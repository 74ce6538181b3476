import { ResourceExhaustedError } from '@lth/core';
import { activeBackend, memoryBudgetBytes } from './backend';
import type { Network } from './network';

/**
 * Bytes per activation value kept while training, over the forward pass's own: gradients,
 * optimizer temporaries and convolution buffers. Measured on wasm with ResNet-8 on 28x28x1
 * (batch 512 peaks at 2.9 GB resident; 1024 exhausts the 4 GiB memory).
 */
const TRAINING_FACTOR = 7;
/** Evaluation keeps the forward pass only, and not all of it at once. */
const EVALUATION_FACTOR = 2;

/** Activation values one example produces in a forward pass (every layer's output). */
function activationsPerExample(network: Network): number {
  let total = 0;
  for (const layer of network.model.layers) {
    const shapes = (Array.isArray(layer.outputShape[0]) ? layer.outputShape : [layer.outputShape]) as number[][];
    for (const shape of shapes) total += shape.slice(1).reduce((a, b) => a * (b ?? 1), 1);
  }
  return total;
}

/**
 * Refuses, before allocating anything, a batch the backend cannot hold (RESOURCE_EXHAUSTED with
 * the largest batch that fits): running out of memory mid-step can leave the backend unusable.
 */
export function checkBatchFits(network: Network, batchSize: number, use: 'training' | 'evaluation'): void {
  const budget = memoryBudgetBytes();
  if (budget === undefined) return;
  const factor = use === 'training' ? TRAINING_FACTOR : EVALUATION_FACTOR;
  const perExample = activationsPerExample(network) * 4 * factor;
  const fixed = network.model.countParams() * 4 * (use === 'training' ? 4 : 1);
  const needed = fixed + batchSize * perExample;
  if (needed <= budget) return;
  const largest = Math.max(0, Math.floor((budget - fixed) / perExample));
  const gib = (n: number) => (n / 1024 ** 3).toFixed(1);
  throw new ResourceExhaustedError(
    `batch_size ${batchSize} needs about ${gib(needed)} GiB for ${use} of ${network.modelName} on ` +
      `${network.input.height}x${network.input.width}x${network.input.channels} images; the ${activeBackend()} ` +
      `backend has ${gib(budget)} GiB: the largest batch that fits is about ${largest}`,
  );
}

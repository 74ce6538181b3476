import { countKept, type Mask } from './tensors';

export interface LayerSparsity {
  name: string;
  total: number;
  remaining: number;
  sparsity: number;
}

export interface MaskStats {
  layers: LayerSparsity[];
  prunable: number;
  remaining: number;
  /** Fraction of prunable weights removed. */
  sparsity: number;
  density: number;
}

export function maskStats(mask: Mask): MaskStats {
  const layers: LayerSparsity[] = [];
  let prunable = 0;
  let remaining = 0;
  for (const [name, m] of mask) {
    const kept = countKept(m.keep);
    layers.push({ name, total: m.keep.length, remaining: kept, sparsity: 1 - kept / m.keep.length });
    prunable += m.keep.length;
    remaining += kept;
  }
  const density = prunable === 0 ? 1 : remaining / prunable;
  return { layers, prunable, remaining, sparsity: 1 - density, density };
}

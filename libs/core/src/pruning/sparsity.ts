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

/** Fraction of the weights kept by both masks among those kept by either (Jaccard overlap). */
export function maskOverlap(a: Mask, b: Mask): number {
  let both = 0;
  let either = 0;
  for (const [name, ma] of a) {
    const mb = b.get(name);
    if (!mb) continue;
    for (let i = 0; i < ma.keep.length; i++) {
      const x = ma.keep[i]!;
      const y = mb.keep[i]!;
      both += x & y;
      either += x | y;
    }
  }
  return either === 0 ? 0 : both / either;
}

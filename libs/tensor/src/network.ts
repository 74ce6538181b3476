import * as tf from '@tensorflow/tfjs';
import { createRng, deriveSeed, FailedPreconditionError, isHead, sizeOf, type WeightTensor } from '@lth/core';
import type { InputShape } from './models/input-shape';
import { getModel } from './models/registry';

/**
 * A model plus the operations lth needs on its weights, addressed by stable names
 * (`fc1/kernel`, `s2b0_bn1/gamma`, ...). Owns its variables: call dispose().
 */
export class Network {
  readonly model: tf.LayersModel;
  private readonly variables: Map<string, tf.LayerVariable>;

  constructor(
    readonly modelName: string,
    readonly input: InputShape,
    readonly numClasses: number,
  ) {
    this.model = getModel(modelName).build(input, numClasses);
    // originalName is the scoped name a layer gives its weight; `name` gets a process-wide
    // uniquifying suffix and so cannot name artifacts.
    this.variables = new Map(this.model.weights.map((w) => [w.originalName, w]));
  }

  get weightNames(): string[] {
    return [...this.variables.keys()];
  }

  variable(name: string): tf.Variable {
    const v = this.variables.get(name);
    if (!v) throw new Error(`no weight named ${name}`);
    return v.read() as tf.Variable;
  }

  trainableNames(): string[] {
    return this.model.trainableWeights.map((w) => w.originalName);
  }

  /**
   * Fresh weights from the seed, the same on every backend: He-normal kernels, zero biases,
   * unit batch-norm; the head's kernel is uniform in +-1/sqrt(fan_in) (PyTorch's default).
   * With `only`, initialises just the weights whose names pass.
   */
  initialize(seed: number, only: (name: string) => boolean = () => true): void {
    for (const [name, lv] of this.variables) {
      if (!only(name)) continue;
      const shape = lv.shape as number[];
      const values = new Float32Array(sizeOf(shape));
      const leaf = name.slice(name.lastIndexOf('/') + 1);
      if (leaf === 'kernel') {
        const fanIn = sizeOf(shape.slice(0, -1));
        const rng = createRng(deriveSeed(seed, 'init', name));
        if (isHead(name)) {
          const bound = 1 / Math.sqrt(fanIn);
          for (let i = 0; i < values.length; i++) values[i] = (rng.next() * 2 - 1) * bound;
        } else {
          const std = Math.sqrt(2 / fanIn);
          for (let i = 0; i < values.length; i++) values[i] = rng.normal() * std;
        }
      } else if (leaf === 'gamma' || leaf === 'moving_variance') {
        values.fill(1);
      }
      const t = tf.tensor(values, shape);
      lv.write(t);
      t.dispose();
    }
  }

  /** Reads every weight (async: no blocking read of device memory). */
  async getWeights(): Promise<WeightTensor[]> {
    const out: WeightTensor[] = [];
    for (const [name, lv] of this.variables) {
      const data = await (lv.read() as tf.Tensor).data();
      out.push({ name, shape: [...(lv.shape as number[])], values: Float32Array.from(data as Float32Array) });
    }
    return out;
  }

  /**
   * Loads weights by name. With `skip`, those names may be absent or differ in shape (a head
   * replaced for another task); every other weight must be present with the model's shape.
   */
  setWeights(weights: readonly WeightTensor[], skip: (name: string) => boolean = () => false): void {
    const byName = new Map(weights.map((w) => [w.name, w]));
    const problems: string[] = [];
    for (const [name, lv] of this.variables) {
      if (skip(name)) continue;
      const w = byName.get(name);
      if (!w) problems.push(`missing ${name}`);
      else if (w.shape.join('x') !== (lv.shape as number[]).join('x')) {
        problems.push(`${name} has shape [${w.shape}] but ${this.modelName} needs [${lv.shape}]`);
      }
    }
    for (const name of byName.keys()) if (!this.variables.has(name) && !skip(name)) problems.push(`unexpected ${name}`);
    if (problems.length > 0) {
      const shown = problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '');
      throw new FailedPreconditionError(`weights do not fit ${this.modelName}: ${shown}`);
    }
    for (const [name, lv] of this.variables) {
      if (skip(name)) continue;
      const w = byName.get(name)!;
      const t = tf.tensor(w.values, w.shape);
      lv.write(t);
      t.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}

import * as tf from '@tensorflow/tfjs';
import { createRng, deriveSeed, drawViews, HEAD, type ViewRecipe } from '@lth/core';
import type { MaskedTrainer } from '../masked-trainer';
import { Network } from '../network';
import { normalized, scaledPixels, type InputNormalization } from '../pixels';
import type { TrainingBatch, TrainingObjective } from '../training-objective';
import { ntXentLoss, queueInfoNceLoss, unitRows } from './losses';
import { ProjectionHead, type ProjectionShape } from './projection-head';
import { viewOf } from './views';

/** A contrastive pre-training's settings, as the fine-tuning service receives them. */
export interface ContrastiveSettings {
  method: 'simclr' | 'moco';
  temperature: number;
  projection: ProjectionShape;
  /** MoCo: the key encoder follows the query encoder as k <- m k + (1 - m) q. */
  keyMomentum: number;
  /** MoCo: how many earlier keys serve as negatives. */
  queueSize: number;
  views: ViewRecipe;
}

/** MoCo's momentum update: each key variable becomes m k + (1 - m) q of its query variable. */
export function momentumUpdate(keys: readonly tf.Variable[], queries: readonly tf.Variable[], m: number): void {
  tf.tidy(() => {
    keys.forEach((k, i) => k.assign(tf.add(tf.mul(k, m), tf.mul(queries[i]!, 1 - m))));
  });
}

/**
 * MoCo's queue after a batch: the newest keys first, the oldest dropped, the length kept (first in, first
 * out). The caller owns the result and still owns both inputs.
 */
export function enqueued(queue: tf.Tensor2D, keys: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.concat([keys, queue], 0).slice(0, queue.shape[0]) as tf.Tensor2D);
}

/** The encoder: the network up to its classifier's input (the head is not part of what is learned). */
function encoderOf(network: Network): tf.LayersModel {
  const features = network.model.getLayer(HEAD).input as tf.SymbolicTensor;
  // Shares the network's layers and weights; disposing it would dispose theirs, so it is never disposed.
  return tf.model({ inputs: network.model.inputs, outputs: features });
}

/**
 * Self-supervised pre-training by instance discrimination. Each step makes two views of every image
 * (`drawViews`, seeded by the step) and pulls their projections together:
 * - SimCLR (Chen et al. 2020): both views in one batch through the encoder and projection head (batch
 *   norm sees all 2N), NT-Xent over the 2N projections.
 * - MoCo v2 (Chen et al. 2020b): queries from the first view; keys from the second through a momentum
 *   copy of encoder and head, without gradient (its batch norm in training mode, on one device and so
 *   without MoCo's shuffled BN); InfoNCE against a queue of earlier keys, then the queue takes the keys.
 * Call dispose().
 */
export class ContrastiveObjective implements TrainingObjective {
  readonly extraVariables: readonly tf.Variable[];
  readonly imagesPerExample: number;
  private readonly encoder: tf.LayersModel;
  private readonly projection: ProjectionHead;
  private readonly key?: { network: Network; encoder: tf.LayersModel; projection: ProjectionHead };
  private queue?: tf.Tensor2D;

  constructor(
    private readonly network: Network,
    private readonly settings: ContrastiveSettings,
    private readonly context: { seed: number; normalization: InputNormalization | undefined },
  ) {
    this.encoder = encoderOf(network);
    const features = this.encoder.outputs[0]!.shape[1]!;
    this.projection = new ProjectionHead(features, settings.projection, context.seed);
    this.extraVariables = this.projection.variables;
    this.imagesPerExample = settings.method === 'simclr' ? 2 : 1;
    if (settings.method === 'moco') {
      const keyNetwork = new Network(network.modelName, network.input, network.numClasses);
      for (const name of network.weightNames) keyNetwork.variable(name).assign(network.variable(name));
      const key = {
        network: keyNetwork,
        encoder: encoderOf(keyNetwork),
        projection: new ProjectionHead(features, settings.projection, context.seed),
      };
      this.key = key;
      this.queue = tf.tidy(() => {
        const rng = createRng(deriveSeed(context.seed, 'queue'));
        const values = new Float32Array(settings.queueSize * settings.projection.dim).map(() => rng.normal());
        return unitRows(tf.tensor2d(values, [settings.queueSize, settings.projection.dim]));
      });
    }
  }

  /** Two views of the batch, normalised as the network's inputs are. */
  private views(batch: TrainingBatch, step: number): [tf.Tensor4D, tf.Tensor4D] {
    const { views } = this.settings;
    return tf.tidy(() => {
      const images = scaledPixels(batch.pixels, batch.count, this.network.input);
      const rng = createRng(deriveSeed(this.context.seed, 'views', step));
      const make = () =>
        normalized(viewOf(images, drawViews(batch.count, views, rng), views), this.context.normalization);
      const first = make();
      return [first, make()];
    });
  }

  step(trainer: MaskedTrainer, batch: TrainingBatch, position: { learningRate: number; step: number }): void {
    const [v1, v2] = this.views(batch, position.step);
    const { temperature } = this.settings;
    const project = (encoder: tf.LayersModel, head: ProjectionHead, x: tf.Tensor) =>
      head.apply(encoder.apply(x, { training: true }) as tf.Tensor2D);
    if (!this.key) {
      trainer.stepOn(() => {
        const z = project(this.encoder, this.projection, tf.concat([v1, v2], 0));
        const [z1, z2] = tf.split(z, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
        return ntXentLoss(z1, z2, temperature);
      }, position.learningRate);
    } else {
      const key = this.key;
      const keys = tf.tidy(() => unitRows(project(key.encoder, key.projection, v2)));
      const queue = this.queue!;
      trainer.stepOn(
        () => queueInfoNceLoss(project(this.encoder, this.projection, v1), keys, queue, temperature),
        position.learningRate,
      );
      this.followQuery();
      this.queue = enqueued(queue, keys);
      tf.dispose([keys, queue]);
    }
    tf.dispose([v1, v2]);
  }

  /** MoCo's momentum update of the key encoder and head from the query's (trainable weights only). */
  private followQuery(): void {
    const key = this.key!;
    const m = this.settings.keyMomentum;
    const pairs: [tf.Variable, tf.Variable][] = [
      ...this.network
        .trainableNames()
        .map((n): [tf.Variable, tf.Variable] => [key.network.variable(n), this.network.variable(n)]),
      ...key.projection.variables.map((k, i): [tf.Variable, tf.Variable] => [k, this.projection.variables[i]!]),
    ];
    tf.tidy(() => {
      for (const [k, q] of pairs) k.assign(tf.add(tf.mul(k, m), tf.mul(q, 1 - m)));
    });
  }

  dispose(): void {
    this.projection.dispose();
    if (this.key) {
      this.key.projection.dispose();
      this.key.network.dispose();
    }
    this.queue?.dispose();
  }
}

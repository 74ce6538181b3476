import { checkMaskFits, InvalidArgumentError, isHead, isStem, type Mask, type WeightTensor } from '@lth/core';
import { checkDigest, getMask, getWeights, type ArtifactStore } from '@lth/store';
import { getModel, Network } from '@lth/tensor';
import type { dataV1 } from '@lth/grpc-kit';

/** Builds the model for a dataset's image shape and class count. The caller disposes it. */
export function networkFor(model: string, info: dataV1.DatasetInfo): Network {
  getModel(model);
  return new Network(model, { height: info.height, width: info.width, channels: info.channels }, info.numClasses);
}

/**
 * Loads initial weights into a network: all from the seed when there is no digest; with
 * freshHead (the weights come from another task), everything but the classifier from the artifact
 * and a new head from the seed, and a new stem too where the artifact's does not fit this task's
 * images (an ImageNet stem for 32x32 pictures, three channels for grey ones).
 */
export async function loadInitialWeights(
  store: ArtifactStore,
  network: Network,
  init: { digest: string; seed: number; freshHead: boolean },
): Promise<void> {
  const { digest, seed, freshHead } = init;
  if (!digest) {
    network.initialize(seed);
    return;
  }
  const weights = await getWeights(store, checkDigest(digest, 'init_weights_digest'));
  if (!freshHead) {
    network.setWeights(weights);
    return;
  }
  const fresh = freshStem(network, weights) ? (n: string) => isHead(n) || isStem(n) : isHead;
  network.setWeights(weights, fresh);
  network.initialize(seed, fresh);
}

/** The artifact's stem differs from the network's in its weights or their shapes. */
function freshStem(network: Network, weights: readonly WeightTensor[]): boolean {
  const theirs = new Map(weights.filter((w) => isStem(w.name)).map((w) => [w.name, w.shape.join('x')]));
  const ours = network.weightNames.filter(isStem);
  return ours.length !== theirs.size || ours.some((n) => theirs.get(n) !== network.variable(n).shape.join('x'));
}

export async function loadMaskFor(store: ArtifactStore, network: Network, digest: string): Promise<Mask | undefined> {
  if (!digest) return undefined;
  const mask = await getMask(store, checkDigest(digest, 'mask_digest'));
  checkMaskFits(
    network.weightNames.map((name) => ({ name, shape: network.variable(name).shape })),
    mask,
  );
  return mask;
}

export function requireModel(name: string): void {
  if (!name) throw new InvalidArgumentError('model is required');
  getModel(name);
}

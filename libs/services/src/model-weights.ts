import { checkMaskFits, InvalidArgumentError, type Mask } from '@lth/core';
import { checkDigest, getMask, getWeights, type ArtifactStore } from '@lth/store';
import { getModel, isHead, Network } from '@lth/tensor';
import type { dataV1 } from '@lth/grpc-kit';

/** Builds the model for a dataset's image shape and class count. The caller disposes it. */
export function networkFor(model: string, info: dataV1.DatasetInfo): Network {
  getModel(model);
  return new Network(model, { height: info.height, width: info.width, channels: info.channels }, info.numClasses);
}

/**
 * Loads initial weights into a network: all from the seed when there is no digest; with
 * freshHead, everything but the classifier from the artifact and a new head from the seed.
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
  network.setWeights(weights, freshHead ? isHead : undefined);
  if (freshHead) network.initialize(seed, isHead);
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

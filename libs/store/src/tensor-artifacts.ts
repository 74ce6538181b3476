import {
  decodeMask,
  decodeWeights,
  encodeMask,
  encodeWeights,
  InvalidArgumentError,
  type Mask,
  type WeightSpec,
  type WeightTensor,
} from '@lth/core';
import type { ArtifactStore, Digest } from './artifact-store';

/** The manifest of a weights artifact: TF.js's weightsManifest, whose path is the data's digest. */
export interface WeightsManifest {
  format: 'lth-weights/v1';
  weightsManifest: { paths: [Digest]; weights: WeightSpec[] }[];
}

/** Stores weights as a TF.js weights manifest plus its binary; returns the manifest's digest. */
export async function putWeights(store: ArtifactStore, weights: readonly WeightTensor[]): Promise<Digest> {
  const { specs, data } = encodeWeights(weights);
  const dataDigest = await store.put(data);
  const manifest: WeightsManifest = {
    format: 'lth-weights/v1',
    weightsManifest: [{ paths: [dataDigest], weights: specs }],
  };
  return store.putJson(manifest);
}

async function getManifest(store: ArtifactStore, digest: Digest): Promise<WeightsManifest> {
  let manifest: WeightsManifest;
  try {
    manifest = await store.getJson<WeightsManifest>(digest);
  } catch (e) {
    if (e instanceof SyntaxError) throw new InvalidArgumentError(`artifact ${digest} is not a weights manifest`);
    throw e;
  }
  if (manifest?.format !== 'lth-weights/v1')
    throw new InvalidArgumentError(`artifact ${digest} is not a weights manifest`);
  return manifest;
}

export async function getWeights(store: ArtifactStore, digest: Digest): Promise<WeightTensor[]> {
  const manifest = await getManifest(store, digest);
  const out: WeightTensor[] = [];
  for (const group of manifest.weightsManifest)
    out.push(...decodeWeights(group.weights, await store.get(group.paths[0])));
  return out;
}

/** Names and shapes of stored weights, without reading their values. */
export async function getWeightSpecs(store: ArtifactStore, digest: Digest): Promise<WeightSpec[]> {
  return (await getManifest(store, digest)).weightsManifest.flatMap((group) => group.weights);
}

export async function putMask(store: ArtifactStore, mask: Mask): Promise<Digest> {
  return store.put(encodeMask(mask));
}

export async function getMask(store: ArtifactStore, digest: Digest): Promise<Mask> {
  return decodeMask(await store.get(digest));
}

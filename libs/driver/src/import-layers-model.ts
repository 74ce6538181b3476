import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { decodeWeights, InvalidArgumentError, NotFoundError, type WeightTensor } from '@lth/core';

interface LayersModelJson {
  weightsManifest?: { paths: string[]; weights: { name: string; shape: number[]; dtype?: string }[] }[];
}

/**
 * Reads the weights of a TF.js layers model (model.json beside its binary shards), as written
 * by `model.save('file://...')` or tensorflowjs_converter. Names are the model's own weight
 * names, which must follow lth's layer naming to load into an lth model.
 */
export async function readLayersModelWeights(modelJsonPath: string): Promise<WeightTensor[]> {
  let json: LayersModelJson;
  try {
    json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as LayersModelJson;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`pre-trained model ${modelJsonPath} does not exist`);
    throw new InvalidArgumentError(`${modelJsonPath} is not a TF.js model.json: ${(e as Error).message}`);
  }
  if (!Array.isArray(json.weightsManifest)) throw new InvalidArgumentError(`${modelJsonPath} has no weightsManifest`);
  const out: WeightTensor[] = [];
  for (const group of json.weightsManifest) {
    const shards = await Promise.all(group.paths.map((p) => readFile(join(dirname(modelJsonPath), p))));
    out.push(...decodeWeights(group.weights, Buffer.concat(shards)));
  }
  return out;
}

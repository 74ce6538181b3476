import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { decodeWeights, InvalidArgumentError, NotFoundError, quote, type WeightTensor } from '@lth/core';

interface LayersModelJson {
  weightsManifest?: { paths: string[]; weights: { name: string; shape: number[]; dtype?: string }[] }[];
}

/** A model.json describes the weights; they live in .bin shards beside it. */
const MAX_MODEL_JSON_BYTES = 16 * 1024 * 1024;

/**
 * Reads the weights of a TF.js layers model (model.json beside its binary shards), as written
 * by `model.save('file://...')` or tensorflowjs_converter. Names are the model's own weight
 * names, which must follow lth's layer naming to load into an lth model. Errors name the file
 * and what is wrong with it, never its contents.
 */
export async function readLayersModelWeights(modelJsonPath: string): Promise<WeightTensor[]> {
  const file = quote(modelJsonPath);
  let size: number;
  try {
    size = (await stat(modelJsonPath)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`pre-trained model ${file} does not exist`);
    throw e;
  }
  if (size > MAX_MODEL_JSON_BYTES)
    throw new InvalidArgumentError(
      `${file} is ${size} bytes: not a TF.js model.json (its weights belong in .bin shards)`,
    );
  let json: LayersModelJson;
  try {
    json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as LayersModelJson;
  } catch {
    // The parser's message quotes the bytes it choked on: it is not repeated.
    throw new InvalidArgumentError(`${file} is not a TF.js model.json: it is not JSON`);
  }
  if (!Array.isArray(json?.weightsManifest)) throw new InvalidArgumentError(`${file} has no weightsManifest`);
  const out: WeightTensor[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      if (typeof p !== 'string' || p.includes('..') || p.startsWith('/'))
        throw new InvalidArgumentError(`${file} names a weights shard outside its directory: ${quote(p)}`);
    }
    const shards = await Promise.all(group.paths.map((p) => readFile(join(dirname(modelJsonPath), p))));
    out.push(...decodeWeights(group.weights, Buffer.concat(shards)));
  }
  return out;
}

import { readFile, stat } from 'node:fs/promises';
import { InvalidArgumentError, NotFoundError, quote, torchvisionDepthOf } from '@lth/core';
import {
  CheckpointError,
  importTorchvisionResnet,
  readTorchCheckpoint,
  stateDictOf,
  type ImportedWeights,
} from '@lth/torch-checkpoint';

export interface TorchImportOptions {
  /** `resnet50` or `resnet-50`. */
  arch: string;
  /** Keys under this prefix are the model's (MoCo v2: `module.encoder_q.`); empty: the whole state_dict. */
  prefix?: string;
  /** Keep the checkpoint's classifier as the head (only for fine-tuning on the task it was trained for). */
  keepHead?: boolean;
}

export interface TorchImport extends ImportedWeights {
  model: string;
  /** Where the state_dict was: `the file`, `state_dict` or `model`. */
  foundIn: string;
  prefix: string;
  outsidePrefix: number;
}

/** ResNet-152's checkpoint is 240 MB; anything far beyond a ResNet's size is not one. */
const MAX_CHECKPOINT_BYTES = 2 * 1024 ** 3;

/**
 * Reads a PyTorch checkpoint of a torchvision ResNet (torch.save, PyTorch 1.6+) and maps it to
 * lth's weights. Nothing in the file is executed (see @lth/torch-checkpoint). A weight the model
 * needs and the file lacks is an error listing the keys; keys the model does not have are returned
 * in `unexpected` for the caller to report.
 */
export async function importTorchCheckpoint(path: string, options: TorchImportOptions): Promise<TorchImport> {
  const depth = torchvisionDepthOf(options.arch);
  const file = quote(path);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`checkpoint ${file} does not exist`);
    throw e;
  }
  if (size > MAX_CHECKPOINT_BYTES)
    throw new InvalidArgumentError(`${file} is ${size} bytes: larger than any ResNet checkpoint lth reads`);
  try {
    const stateDict = stateDictOf(readTorchCheckpoint(await readFile(path)), options.prefix ?? '');
    const imported = importTorchvisionResnet(stateDict.tensors, depth, { keepHead: options.keepHead ?? false });
    if (imported.missing.length > 0) {
      throw new InvalidArgumentError(
        `${file} lacks ${imported.missing.length} weight(s) of ResNet-${depth}: ${listed(imported.missing)}` +
          (stateDict.prefix ? ` (after removing the prefix ${quote(stateDict.prefix)})` : '') +
          '; check --arch and --prefix',
      );
    }
    const { foundIn, prefix, outsidePrefix } = stateDict;
    return { ...imported, model: `resnet-${depth}`, foundIn, prefix, outsidePrefix };
  } catch (e) {
    if (e instanceof CheckpointError) throw new InvalidArgumentError(`${file}: ${e.message}`);
    throw e;
  }
}

/** The first few of a list, and how many more. */
export function listed(keys: readonly string[], shown = 5): string {
  const head = keys.slice(0, shown).map((k) => quote(k));
  return head.join(', ') + (keys.length > shown ? ` and ${keys.length - shown} more` : '');
}

import { quote } from '@lth/core';
import type { PyDict, PyValue } from './pickle';
import { CheckpointError, type TorchTensor } from './torch-checkpoint';

export interface StateDict {
  /** Tensors by key, the prefix removed. */
  tensors: Map<string, TorchTensor>;
  /** Where in the file they were: `the file` (a plain state_dict), `state_dict` or `model`. */
  foundIn: string;
  /** The prefix removed from every key, if any. */
  prefix: string;
  /** Keys outside the prefix, left alone (MoCo's key encoder and queue, an optimizer's state). */
  outsidePrefix: number;
}

const isTensor = (v: PyValue | undefined): v is TorchTensor =>
  typeof v === 'object' &&
  v !== null &&
  !(v instanceof Map) &&
  !Array.isArray(v) &&
  'pyType' in v &&
  v.pyType === 'tensor';

const isStateDict = (v: PyValue | undefined): v is PyDict =>
  v instanceof Map && v.size > 0 && [...v.values()].every(isTensor);

/**
 * The state_dict inside a checkpoint: the file itself (torchvision's downloads, `torch.save(model.
 * state_dict())`), or the dict under `state_dict` (MoCo, SimCLR conversions, most training scripts) or
 * `model`. With a prefix (MoCo v2: `module.encoder_q.`), only keys under it are kept, without it.
 */
export function stateDictOf(checkpoint: PyValue, prefix = ''): StateDict {
  let foundIn = 'the file';
  let dict: PyDict | undefined = isStateDict(checkpoint) ? checkpoint : undefined;
  if (!dict && checkpoint instanceof Map) {
    for (const key of ['state_dict', 'model']) {
      const inner = checkpoint.get(key);
      if (isStateDict(inner)) {
        dict = inner;
        foundIn = key;
        break;
      }
    }
  }
  if (!dict) {
    const keys = checkpoint instanceof Map ? [...checkpoint.keys()].slice(0, 8).map((k) => quote(String(k))) : [];
    throw new CheckpointError(
      'no state_dict: neither the file nor its `state_dict` or `model` entry is a dict of tensors' +
        (keys.length > 0 ? ` (its keys: ${keys.join(', ')})` : ''),
    );
  }
  const keys = [...dict.keys()].map(String);
  const strip = prefix;
  const tensors = new Map<string, TorchTensor>();
  for (const [key, tensor] of dict) {
    const k = String(key);
    if (k.startsWith(strip)) tensors.set(k.slice(strip.length), tensor as TorchTensor);
  }
  if (tensors.size === 0) {
    const seen = [...new Set(keys.map((k) => k.slice(0, k.indexOf('.') + 1)))].slice(0, 6).map((k) => quote(k));
    throw new CheckpointError(`no key starts with ${quote(strip)} (keys start with ${seen.join(', ')})`);
  }
  return { tensors, foundIn, prefix: strip, outsidePrefix: dict.size - tensors.size };
}

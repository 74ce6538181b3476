import {
  HEAD,
  isHead,
  layerOf,
  quote,
  STEM,
  STEM_BN,
  torchvisionResnetWeights,
  type StemKind,
  type TorchvisionDepth,
  type WeightTensor,
} from '@lth/core';
import { CheckpointError, type TorchTensor } from './torch-checkpoint';

export interface ImportedWeights {
  /** θ_p under lth's names and TensorFlow's layouts; no head unless kept (downstream tasks get fresh ones). */
  weights: WeightTensor[];
  stem: { kind: StemKind; channels: number };
  /** torchvision keys the architecture needs that the checkpoint lacks. */
  missing: string[];
  /** Checkpoint keys that are no weight of the architecture. */
  unexpected: string[];
  /** Keys read and left out on purpose: the classifier, projection MLPs, batch-norm step counters. */
  dropped: string[];
}

const LEAF_TO_TORCH: Record<string, string> = {
  kernel: 'weight',
  gamma: 'weight',
  beta: 'bias',
  moving_mean: 'running_mean',
  moving_variance: 'running_var',
};

/** `layer3_1_conv2/kernel` -> `layer3.1.conv2.weight`; `stem/kernel` -> `conv1.weight`; `head` is `fc`. */
export function torchvisionKeyOf(lthName: string): string {
  const layer = layerOf(lthName);
  const leaf = lthName.slice(layer.length + 1);
  const named: Record<string, string> = { [STEM]: 'conv1', [STEM_BN]: 'bn1', [HEAD]: 'fc' };
  const torchLayer = named[layer] ?? layer.replaceAll('_', '.');
  return `${torchLayer}.${LEAF_TO_TORCH[leaf] ?? leaf}`;
}

/**
 * Classifiers and projection heads (torchvision's and MoCo v2's `fc`, SimCLR's `projector` and
 * `projection_head`) and batch norm's step counters: read, then left out.
 */
const DROPPED = /^(fc|projector|projection_head|head)\.|\.num_batches_tracked$|^num_batches_tracked$/;

/**
 * Maps a torchvision ResNet state_dict to lth's weights: names as torchvisionKeyOf, convolution
 * kernels OIHW -> HWIO. The stem is whichever the checkpoint has (7x7 ImageNet, 3x3 small-image),
 * with its input channels. A tensor whose shape differs from the architecture's is an error naming
 * its key; missing and unexpected keys are listed for the caller to report.
 */
export function importTorchvisionResnet(
  tensors: ReadonlyMap<string, TorchTensor>,
  depth: TorchvisionDepth,
  options: { keepHead?: boolean } = {},
): ImportedWeights {
  const stemKernel = tensors.get('conv1.weight');
  if (!stemKernel) {
    // A stem under a longer name is a prefix the caller did not give (MoCo's module.encoder_q.).
    const prefixes = [...tensors.keys()]
      .filter((k) => k.endsWith('.conv1.weight') && !k.includes('layer'))
      .map((k) => quote(k.slice(0, -'conv1.weight'.length)));
    const hint = prefixes.length > 0 ? `; the file has it under a prefix: ${prefixes.slice(0, 4).join(', ')}` : '';
    throw new CheckpointError(`conv1.weight (the stem) is missing${hint}`);
  }
  if (stemKernel.shape.length !== 4 || ![3, 7].includes(stemKernel.shape[2]!))
    throw new CheckpointError(
      `conv1.weight has shape [${stemKernel.shape}]: a ResNet-${depth} stem is [64, channels, 7, 7] (ImageNet) ` +
        'or [64, channels, 3, 3] (small images)',
    );
  const stem = { kind: (stemKernel.shape[2] === 7 ? 'imagenet' : 'small') as StemKind, channels: stemKernel.shape[1]! };
  const classes = tensors.get('fc.bias')?.shape[0];
  if (options.keepHead && !classes) throw new CheckpointError('fc.bias is missing: there is no classifier to keep');
  const expected = torchvisionResnetWeights(depth, stem, classes ?? 1).filter(
    (w) => options.keepHead || !isHead(w.name),
  );
  const weights: WeightTensor[] = [];
  const missing: string[] = [];
  const used = new Set<string>();
  for (const spec of expected) {
    const key = torchvisionKeyOf(spec.name);
    const tensor = tensors.get(key);
    if (!tensor) {
      missing.push(key);
      continue;
    }
    used.add(key);
    if (!tensor.values) throw new CheckpointError(`${quote(key)} is a ${tensor.dtype} tensor, not a float one`);
    const torchShape = torchLayout(spec.shape);
    if (tensor.shape.join('x') !== torchShape.join('x'))
      throw new CheckpointError(
        `${quote(key)} has shape [${tensor.shape}] but ResNet-${depth} needs [${torchShape}] there`,
      );
    weights.push({
      name: spec.name,
      shape: spec.shape,
      values: toTensorflowLayout(tensor.values, torchShape),
    });
  }
  const dropped: string[] = [];
  const unexpected: string[] = [];
  for (const key of tensors.keys()) {
    if (used.has(key)) continue;
    (DROPPED.test(key) ? dropped : unexpected).push(key);
  }
  return { weights, stem, missing, unexpected, dropped };
}

/** TensorFlow's [h, w, in, out] kernel shape as PyTorch's [out, in, h, w]; [in, out] as [out, in]. */
function torchLayout(shape: number[]): number[] {
  if (shape.length === 4) return [shape[3]!, shape[2]!, shape[0]!, shape[1]!];
  if (shape.length === 2) return [shape[1]!, shape[0]!];
  return shape;
}

function toTensorflowLayout(values: Float32Array, torchShape: number[]): Float32Array {
  if (torchShape.length === 4) return oihwToHwio(values, torchShape);
  if (torchShape.length === 2) return transpose(values, torchShape[0]!, torchShape[1]!);
  return values;
}

/** A dense layer's [out, in] weight as TensorFlow's [in, out] kernel. */
function transpose(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c]!;
  return out;
}

/** PyTorch's [out, in, h, w] convolution kernel as TensorFlow's [h, w, in, out]. */
function oihwToHwio(values: Float32Array, [o, i, h, w]: number[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let oo = 0; oo < o!; oo++)
    for (let ii = 0; ii < i!; ii++)
      for (let hh = 0; hh < h!; hh++)
        for (let ww = 0; ww < w!; ww++)
          out[((hh * w! + ww) * i! + ii) * o! + oo] = values[((oo * i! + ii) * h! + hh) * w! + ww]!;
  return out;
}

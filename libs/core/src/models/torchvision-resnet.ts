import { InvalidArgumentError } from '../errors';
import { quote } from '../quote';
import { HEAD, STEM, STEM_BN } from './layer-roles';

export type ResnetBlock = 'basic' | 'bottleneck';

/** A weight's name and shape. */
export interface WeightShape {
  name: string;
  shape: number[];
}

/** torchvision.models.resnet: block kind and blocks per stage (He et al. 2016, table 1). */
export const TORCHVISION_RESNETS = {
  18: { block: 'basic', stages: [2, 2, 2, 2] },
  50: { block: 'bottleneck', stages: [3, 4, 6, 3] },
  152: { block: 'bottleneck', stages: [3, 8, 36, 3] },
} as const satisfies Record<number, { block: ResnetBlock; stages: readonly number[] }>;

export type TorchvisionDepth = keyof typeof TORCHVISION_RESNETS;

export const TORCHVISION_DEPTHS = Object.keys(TORCHVISION_RESNETS).map(Number) as TorchvisionDepth[];

/** `resnet50` (torchvision's spelling) or `resnet-50` (lth's model name) -> 50. */
export function torchvisionDepthOf(arch: string): TorchvisionDepth {
  const depth = Number(/^resnet-?(\d+)$/.exec(arch)?.[1]);
  if (!TORCHVISION_DEPTHS.includes(depth as TorchvisionDepth)) {
    const known = TORCHVISION_DEPTHS.map((d) => `resnet-${d}`).join(', ');
    throw new InvalidArgumentError(`arch ${quote(arch)} is not a torchvision ResNet lth builds (known: ${known})`);
  }
  return depth as TorchvisionDepth;
}

/**
 * The stem a task's images get (the paper's "task-appropriate stem"): ImageNet-size images (96 px
 * and up) the 7x7/2 convolution and 3x3/2 max-pool; small ones (CIFAR, SVHN, digits) a 3x3/1
 * convolution and no max-pool, with as many input channels as the images have.
 */
export type StemKind = 'imagenet' | 'small';

export const stemFor = (input: { height: number; width: number }): StemKind =>
  Math.min(input.height, input.width) >= 96 ? 'imagenet' : 'small';

const bnWeights = (layer: string, channels: number): WeightShape[] =>
  ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((leaf) => ({ name: `${layer}/${leaf}`, shape: [channels] }));

const convWeight = (layer: string, kernel: number, inputs: number, outputs: number): WeightShape => ({
  name: `${layer}/kernel`,
  shape: [kernel, kernel, inputs, outputs],
});

/**
 * The weights of a torchvision ResNet under lth's names and TensorFlow's layouts (HWIO kernels,
 * [in, out] dense), in torchvision's order. The tensor library builds the network; a test there
 * checks it holds exactly these weights.
 */
export function torchvisionResnetWeights(
  depth: TorchvisionDepth,
  stem: { kind: StemKind; channels: number },
  numClasses: number,
): WeightShape[] {
  const { block, stages } = TORCHVISION_RESNETS[depth];
  const expansion = block === 'basic' ? 1 : 4;
  const out: WeightShape[] = [convWeight(STEM, stem.kind === 'imagenet' ? 7 : 3, stem.channels, 64)];
  out.push(...bnWeights(STEM_BN, 64));
  let channels = 64;
  stages.forEach((blocks, stage) => {
    const width = 64 * 2 ** stage;
    for (let b = 0; b < blocks; b++) {
      const p = `layer${stage + 1}_${b}`;
      const convs: [number, number, number][] =
        block === 'basic'
          ? [
              [3, channels, width],
              [3, width, width],
            ]
          : [
              [1, channels, width],
              [3, width, width],
              [1, width, width * expansion],
            ];
      convs.forEach(([kernel, inputs, outputs], i) => {
        out.push(convWeight(`${p}_conv${i + 1}`, kernel, inputs, outputs), ...bnWeights(`${p}_bn${i + 1}`, outputs));
      });
      const stride = stage > 0 && b === 0 ? 2 : 1;
      if (stride !== 1 || channels !== width * expansion) {
        out.push(convWeight(`${p}_downsample_0`, 1, channels, width * expansion));
        out.push(...bnWeights(`${p}_downsample_1`, width * expansion));
      }
      channels = width * expansion;
    }
  });
  out.push({ name: `${HEAD}/kernel`, shape: [channels, numClasses] }, { name: `${HEAD}/bias`, shape: [numClasses] });
  return out;
}

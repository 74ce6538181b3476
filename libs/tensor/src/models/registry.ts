import type * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, quote, TORCHVISION_DEPTHS, TORCHVISION_RESNETS } from '@lth/core';
import type { InputShape } from './input-shape';
import { buildLenet300100 } from './lenet';
import { buildCifarResnet } from './resnet';
import { buildTorchvisionResnet } from './torchvision-resnet';

export interface ModelDefinition {
  name: string;
  description: string;
  build(input: InputShape, numClasses: number): tf.LayersModel;
}

const definitions: ModelDefinition[] = [
  { name: 'lenet-300-100', description: 'MLP 300-100 (LeNet-300-100)', build: buildLenet300100 },
  {
    name: 'resnet-8',
    description: 'CIFAR-style ResNet-8 (one basic block a stage)',
    build: (i, n) => buildCifarResnet(8, i, n),
  },
  {
    name: 'resnet-20',
    description: 'CIFAR-style ResNet-20 (three basic blocks a stage)',
    build: (i, n) => buildCifarResnet(20, i, n),
  },
  ...TORCHVISION_DEPTHS.map((depth) => ({
    name: `resnet-${depth}`,
    description:
      `torchvision ResNet-${depth} (${TORCHVISION_RESNETS[depth].block} blocks; ImageNet stem from 96 px, ` +
      `3x3 stem below)`,
    build: (i: InputShape, n: number) => buildTorchvisionResnet(depth, i, n),
  })),
];

export const models = new Map(definitions.map((d) => [d.name, d]));

export function getModel(name: string): ModelDefinition {
  const d = models.get(name);
  if (!d) throw new InvalidArgumentError(`unknown model ${quote(name)} (known: ${[...models.keys()].join(', ')})`);
  return d;
}

export const MODEL_NAMES: readonly string[] = [...models.keys()];

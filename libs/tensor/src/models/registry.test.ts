import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getModel, MODEL_NAMES } from './registry';
import { Network } from '../network';
import { stemFor, TORCHVISION_DEPTHS, torchvisionResnetWeights } from '@lth/core';

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

const count = (net: Network, pred: (name: string) => boolean) =>
  net.weightNames.filter(pred).reduce((n, name) => n + net.variable(name).size, 0);

test('models build at 28x28x1 and 32x32x3 with a head for the task', () => {
  const lenet = new Network('lenet-300-100', { height: 28, width: 28, channels: 1 }, 10);
  assert.equal(
    count(lenet, () => true),
    784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10,
  );
  lenet.dispose();
  for (const [name, depth] of [
    ['resnet-8', 8],
    ['resnet-20', 20],
  ] as const) {
    for (const input of [
      { height: 28, width: 28, channels: 1 },
      { height: 32, width: 32, channels: 3 },
    ]) {
      const net = new Network(name, input, 7);
      assert.deepEqual(net.model.outputs[0]!.shape, [null, 7]);
      assert.deepEqual(net.variable('stem/kernel').shape, [3, 3, input.channels, 16]);
      assert.deepEqual(net.variable('head/kernel').shape, [64, 7]);
      const convs = net.weightNames.filter(
        (n) => n.endsWith('/kernel') && n !== 'head/kernel' && !n.includes('shortcut'),
      );
      assert.equal(convs.length, depth - 1, `${name}: ${convs.length} convolutions`);
      net.dispose();
    }
  }
  const r20 = new Network('resnet-20', { height: 32, width: 32, channels: 3 }, 10);
  // He et al. 2016: ResNet-20 has 0.27M parameters.
  const params = count(r20, (n) => !n.includes('moving_'));
  assert.ok(params > 260_000 && params < 280_000, `${params} parameters`);
  r20.dispose();
});

test('unknown models fail loudly, listing the known ones', () => {
  assert.throws(
    () => getModel('vgg-16'),
    /unknown model "vgg-16" \(known: lenet-300-100, resnet-8, resnet-20, resnet-18, resnet-50, resnet-152\)/,
  );
  assert.deepEqual(MODEL_NAMES, ['lenet-300-100', 'resnet-8', 'resnet-20', 'resnet-18', 'resnet-50', 'resnet-152']);
});

test("torchvision ResNets have torchvision's parameters, names and stems", () => {
  // Counted by torchvision 0.14 (resnetN(num_classes=10)): parameters, then batch-norm running
  // statistics, then 4-d convolution weights.
  const torchvision = {
    'resnet-18': { parameters: 11_181_642, statistics: 9_600, convolutions: 20 },
    'resnet-50': { parameters: 23_528_522, statistics: 53_120, convolutions: 53 },
    'resnet-152': { parameters: 58_164_298, statistics: 151_424, convolutions: 155 },
  };
  for (const [name, expected] of Object.entries(torchvision)) {
    const net = new Network(name, { height: 128, width: 128, channels: 3 }, 10);
    const statistics = count(net, (n) => n.includes('moving_'));
    assert.equal(count(net, () => true) - statistics, expected.parameters, name);
    assert.equal(statistics, expected.statistics, name);
    const convolutions = net.weightNames.filter((n) => net.variable(n).rank === 4);
    assert.equal(convolutions.length, expected.convolutions, name);
    assert.deepEqual(net.variable('stem/kernel').shape, [7, 7, 3, 64]);
    assert.ok(net.weightNames.includes('layer1_0_conv1/kernel'), name);
    assert.ok(net.weightNames.includes('layer2_0_downsample_0/kernel'), name);
    assert.ok(net.weightNames.includes('layer4_1_bn2/moving_variance'), name);
    assert.deepEqual(net.model.outputs[0]!.shape, [null, 10]);
    net.dispose();
  }
  // The pure declaration the importer checks checkpoints against is exactly what the network holds.
  for (const depth of TORCHVISION_DEPTHS) {
    for (const input of [
      { height: 224, width: 224, channels: 3 },
      { height: 32, width: 32, channels: 1 },
    ]) {
      const net = new Network(`resnet-${depth}`, input, 10);
      const declared = torchvisionResnetWeights(depth, { kind: stemFor(input), channels: input.channels }, 10);
      assert.deepEqual(
        net.weightNames.map((name) => ({ name, shape: net.variable(name).shape })).sort(byName),
        declared.sort(byName),
      );
      net.dispose();
    }
  }
  // Small images get the 3x3 stride-1 stem with their own channel count and no max-pool.
  const small = new Network('resnet-18', { height: 32, width: 32, channels: 1 }, 10);
  assert.deepEqual(small.variable('stem/kernel').shape, [3, 3, 1, 64]);
  assert.equal(small.model.layers.filter((l) => l.name === 'stem_pool').length, 0);
  // 32 -> 32 (stem) -> 4 after three strided stages: the last stage sees 4x4.
  assert.deepEqual(small.model.getLayer('layer4_1_add').outputShape, [null, 4, 4, 512]);
  small.dispose();
});

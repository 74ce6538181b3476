import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getModel, MODEL_NAMES } from './registry';
import { Network } from '../network';

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
  assert.throws(() => getModel('vgg-16'), /unknown model "vgg-16" \(known: lenet-300-100, resnet-8, resnet-20\)/);
  assert.deepEqual(MODEL_NAMES, ['lenet-300-100', 'resnet-8', 'resnet-20']);
});

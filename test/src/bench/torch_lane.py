"""The PyTorch lane of `npm run bench -- --torch`: lth's models, batch sizes and thread counts in
PyTorch, for ratios measured in the same run. One JSON line per measurement on stdout.

Run by Debian's own python3 (python3-torch); the models mirror libs/tensor/src/models: LeNet-300-100,
and the CIFAR-style ResNet (3x3 stem, no max-pool, basic blocks at 16/32/64 channels, 1x1 strided
shortcuts with batch norm, global average pooling, linear head; batch norm eps 1e-5, momentum 0.9 in
Keras's sense, 0.1 in PyTorch's). Training is what lth's MaskedTrainer does per step: forward,
cross-entropy, backward, SGD with momentum and weight decay.
"""
import argparse
import json
import time

import torch
import torch.nn as nn


def lenet(channels, size, classes):
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(channels * size * size, 300), nn.ReLU(),
        nn.Linear(300, 100), nn.ReLU(),
        nn.Linear(100, classes),
    )


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + self.shortcut(x))


def resnet(depth, channels, classes):
    blocks = (depth - 2) // 6
    layers = [nn.Conv2d(channels, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for stage, cout in enumerate([16, 32, 64]):
        for b in range(blocks):
            layers.append(Block(cin, cout, 2 if stage > 0 and b == 0 else 1))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, classes)]
    return nn.Sequential(*layers)


MODELS = {
    'lenet-300-100': lambda c, s, k: lenet(c, s, k),
    'resnet-8': lambda c, s, k: resnet(8, c, k),
    'resnet-20': lambda c, s, k: resnet(20, c, k),
}


def blas_gflops():
    """One 64x784x300 matmul, LeNet's first layer: OpenBLAS does 100+ GFLOP/s here, the reference BLAS ~6."""
    a, b = torch.randn(64, 784), torch.randn(784, 300)
    for _ in range(20):
        a @ b
    n = 300
    start = time.perf_counter()
    for _ in range(n):
        a @ b
    return 2 * 64 * 784 * 300 * n / (time.perf_counter() - start) / 1e9


def images_per_second(model_name, batch, steps, size=28, channels=1, classes=10):
    torch.manual_seed(0)
    model = MODELS[model_name](channels, size, classes)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    pixels = torch.randint(0, 256, (batch, channels, size, size), dtype=torch.uint8)
    labels = torch.randint(0, classes, (batch,))

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(pixels.float() / 255), labels)
        loss.backward()
        optimizer.step()
        return loss

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    loss.item()
    return steps * batch / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--blas-check', action='store_true')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--run', action='append', default=[], help='MODEL:BATCH:STEPS')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.blas_check:
        print(json.dumps({'bench': 'torch_blas_gflops', 'value': blas_gflops(), 'torch': torch.__version__}))
        return
    for run in args.run:
        model, batch, steps = run.split(':')
        value = images_per_second(model, int(batch), int(steps))
        print(json.dumps({'bench': 'torch_images_per_second', 'model': model, 'batchSize': int(batch),
                          'steps': int(steps), 'threads': args.threads, 'value': value,
                          'torch': torch.__version__}), flush=True)


if __name__ == '__main__':
    main()

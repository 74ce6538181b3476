"""An independent IMP of LeNet-300-100 in PyTorch: the reference lth's accuracy is held against.

Reads θ_p and the MNIST split exactly as lth serves them (written by cross-framework.test.ts), then for
each seed: fine-tune m ⊙ θ_p with a fresh head (nn.Linear's own init), SGD, final-epoch test accuracy;
prune 20% of the remaining fc1 and fc2 kernel weights globally by magnitude; rewind; repeat.
Prints JSON: {"accuracy": [[round 0, round 1, ...] per seed]}.
"""
import json
import sys

import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)

args = json.loads(sys.argv[1])
work = args["dir"]


def load(name, dtype, shape):
    return np.fromfile(f"{work}/{name}", dtype=dtype).reshape(shape)


train_x = torch.from_numpy(load("train-pixels", np.uint8, (-1, 784)).astype(np.float32) / 255)
train_y = torch.from_numpy(load("train-labels", np.uint8, (-1,)).astype(np.int64))
test_x = torch.from_numpy(load("test-pixels", np.uint8, (-1, 784)).astype(np.float32) / 255)
test_y = torch.from_numpy(load("test-labels", np.uint8, (-1,)).astype(np.int64))
theta = {k: torch.from_numpy(load(f"theta-{k.replace('/', '-')}", np.float32, s)) for k, s in args["weights"].items()}

PRUNABLE = ["fc1", "fc2"]


def network(seed_for_head):
    net = nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))
    with torch.no_grad():
        for index, name in ((0, "fc1"), (2, "fc2")):
            net[index].weight.copy_(theta[f"{name}/kernel"].T)
            net[index].bias.copy_(theta[f"{name}/bias"])
        torch.manual_seed(seed_for_head)
        net[4].reset_parameters()  # a fresh head, as nn.Linear draws one
    return net


def layers(net):
    return {"fc1": net[0], "fc2": net[2]}


def fine_tune(net, masks, seed):
    generator = torch.Generator().manual_seed(seed)
    opt = torch.optim.SGD(net.parameters(), lr=args["lr"], momentum=args["momentum"])
    with torch.no_grad():
        for name, layer in layers(net).items():
            layer.weight.mul_(masks[name])
    for _ in range(args["epochs"]):
        order = torch.randperm(len(train_x), generator=generator)
        for start in range(0, len(order), args["batch"]):
            idx = order[start : start + args["batch"]]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(net(train_x[idx]), train_y[idx])
            loss.backward()
            for name, layer in layers(net).items():
                layer.weight.grad.mul_(masks[name])
            opt.step()
    with torch.no_grad():
        return (net(test_x).argmax(1) == test_y).float().mean().item()


def prune(net, masks):
    """Global magnitude: round(20% of the remaining) smallest |w| go; ties lowest position first."""
    weights = {n: l.weight.detach().T.contiguous() for n, l in layers(net).items()}  # lth's [in, out] order
    alive = torch.cat([weights[n][masks[n].T.bool()].abs() for n in PRUNABLE])
    count = int(np.floor(0.2 * alive.numel() + 0.5))
    flat = torch.cat([weights[n].flatten().abs() for n in PRUNABLE])
    keep = torch.cat([masks[n].T.flatten() for n in PRUNABLE]).bool()
    candidates = torch.nonzero(keep).flatten()
    order = np.lexsort((candidates.numpy(), flat[candidates].numpy()))
    keep[candidates[order[:count]]] = False
    out, offset = {}, 0
    for n in PRUNABLE:
        size = weights[n].numel()
        out[n] = keep[offset : offset + size].reshape(weights[n].shape).T.float()
        offset += size
    return out


results = []
for seed in args["seeds"]:
    masks = {n: torch.ones_like(l.weight) for n, l in layers(network(0)).items()}
    accuracy = []
    for round_ in range(args["rounds"] + 1):
        net = network(seed * 1000 + round_)
        accuracy.append(fine_tune(net, masks, seed * 1000 + round_))
        masks = prune(net, masks)
    results.append(accuracy)
print(json.dumps({"accuracy": results}))

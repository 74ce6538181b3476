"""Writes torchvision ResNet checkpoints with random weights, and what PyTorch computes with them.

Run by Debian's python3 (python3-torch, python3-torchvision) from pytorch-import.test.ts:
    torchvision_checkpoints.py OUT_DIR
Writes OUT_DIR/<case>.pth and OUT_DIR/expected.json: per case the arch, how the checkpoint is
wrapped, the input (NHWC, as lth takes images), eval-mode logits, and for one case the losses of
three SGD steps. Nothing is downloaded.
"""
import json
import sys

import torch
import torch.nn.functional as F
import torchvision

torch.manual_seed(0)
torch.set_num_threads(2)
out = sys.argv[1]


def settle_batch_norm(model, channels, size):
    """Running statistics from a few batches, so eval mode normalises (as a trained model's would)."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = None  # cumulative average
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, channels, size, size))
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = 0.1
    model.eval()


def nhwc(x):
    return x.permute(0, 2, 3, 1).contiguous().flatten().tolist()


def small_stem(model, channels):
    """The paper's small-image stem: 3x3 stride-1 convolution, no max-pool."""
    model.conv1 = torch.nn.Conv2d(channels, 64, 3, 1, 1, bias=False)
    model.maxpool = torch.nn.Identity()
    return model


expected = {}


def case(name, arch, model, channels, size, wrap, save_dtype=torch.float32):
    if not getattr(model, "settled", False):
        settle_batch_norm(model, channels, size)
        model.settled = True
    state = {k: v.to(save_dtype) if v.is_floating_point() else v for k, v in model.state_dict().items()}
    if save_dtype != torch.float32:
        # What PyTorch computes with the weights as stored.
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    # A non-contiguous tensor (a transposed view), as some conversions leave them.
    state["fc.weight"] = state["fc.weight"].t().contiguous().t()
    assert not state["fc.weight"].is_contiguous()
    if wrap == "plain":
        saved = state
    elif wrap == "state_dict":
        saved = {"epoch": 90, "arch": arch, "state_dict": state, "best_acc1": torch.tensor(76.1)}
    elif wrap == "moco":
        # MoCo v2's main_moco.py: the query encoder under module.encoder_q. with a 2-layer MLP as
        # its fc, the key encoder, and the queue; plus the optimizer's state.
        saved_state = {f"module.encoder_q.{k}": v for k, v in state.items() if not k.startswith("fc.")}
        saved_state["module.encoder_q.fc.0.weight"] = torch.randn(2048, 2048)
        saved_state["module.encoder_q.fc.0.bias"] = torch.randn(2048)
        saved_state["module.encoder_q.fc.2.weight"] = torch.randn(128, 2048)
        saved_state["module.encoder_q.fc.2.bias"] = torch.randn(128)
        saved_state.update({f"module.encoder_k.{k}": v.clone() for k, v in state.items()})
        saved_state["module.queue"] = torch.randn(128, 16)
        saved_state["module.queue_ptr"] = torch.zeros(1, dtype=torch.long)
        optimizer = {"state": {}, "param_groups": [{"lr": 0.03, "params": [0, 1]}]}
        saved = {"epoch": 800, "arch": arch, "state_dict": saved_state, "optimizer": optimizer}
    torch.save(saved, f"{out}/{name}.pth")
    x = torch.randn(2, channels, size, size)
    with torch.no_grad():
        logits = model(x)
    expected[name] = {
        "arch": arch,
        "wrap": wrap,
        "input": {"height": size, "width": size, "channels": channels},
        "classes": model.fc.out_features,
        "x": nhwc(x),
        "logits": logits.flatten().tolist(),
    }
    return model


resnet18 = case("resnet18-plain", "resnet18", torchvision.models.resnet18(num_classes=10), 3, 112, "plain")
resnet50 = torchvision.models.resnet50(num_classes=10)
case("resnet50-state-dict", "resnet50", resnet50, 3, 112, "state_dict")
case("resnet50-moco", "resnet50", resnet50, 3, 112, "moco")
case("resnet18-small-grey", "resnet18", small_stem(torchvision.models.resnet18(num_classes=10), 1), 1, 32, "plain")
case("resnet18-half", "resnet18", torchvision.models.resnet18(num_classes=10), 3, 96, "plain", torch.float16)

# Three SGD steps (lr 0.001, momentum 0.9, weight decay 1e-4) of the plain ResNet-18 in training mode: the loss
# before each step.
model = resnet18
model.train()
x = torch.randn(4, 3, 112, 112)
y = torch.tensor([1, 7, 3, 3])
sgd = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9, weight_decay=1e-4)
losses = []
for _ in range(3):
    sgd.zero_grad()
    loss = F.cross_entropy(model(x), y)
    losses.append(loss.item())
    loss.backward()
    sgd.step()
expected["resnet18-plain"]["training"] = {
    "x": nhwc(x),
    "labels": y.tolist(),
    "optimizer": {"learningRate": 0.001, "momentum": 0.9, "weightDecay": 1e-4},
    "losses": losses,
}


class Exploit:
    """A checkpoint that runs a command when Python unpickles it."""

    def __reduce__(self):
        import os

        return (os.system, (f"touch {out}/pwned",))


torch.save({"state_dict": Exploit()}, f"{out}/exploit.pth")

with open(f"{out}/expected.json", "w") as f:
    json.dump(expected, f)

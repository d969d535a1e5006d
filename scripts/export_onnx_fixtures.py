#!/usr/bin/python3
"""Exports PyTorch models to ONNX together with an input and PyTorch's output, for CoEdge's import tests.

Run with Debian's python3 (python3-torch, python3-torchvision):

    /usr/bin/python3 scripts/export_onnx_fixtures.py                    # the four zoo architectures
    /usr/bin/python3 scripts/export_onnx_fixtures.py --models smallnet \
        --out coedge-core/src/test/resources/onnx                       # the small fixtures kept in git
    (and the same with --models tinyfcn)

For every model NAME it writes NAME.onnx (opset 13, dynamic batch), NAME_input.bin and NAME_output.bin:
raw little-endian float32 in NCHW order, batch 1. Weights are random (seeded), models are in eval mode.
The large exports (VGG-16 is about 550 MB) go to target/torch-exports by default and are not committed;
the test tagged "pytorch-export" reads them when COEDGE_TORCH_EXPORTS (or -Dcoedge.torch.exports) names
that folder.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


class SmallNet(nn.Module):
    """A few-hundred-kB network with the layer kinds real exports contain: conv/bn/relu, max pool, a
    residual add, a branch concat, squeeze-excitation (global pool, hardsigmoid, broadcast multiply),
    hardswish, a nearest resize, global average pool, and the x.view(x.size(0), -1) shape chain."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.pool = nn.MaxPool2d(2)
        self.res1 = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                                  nn.Conv2d(16, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16))
        self.branch_a = nn.Conv2d(16, 8, 1)
        self.branch_b = nn.Sequential(nn.Conv2d(16, 8, 3, padding=1), nn.Hardswish())
        self.se_reduce = nn.Conv2d(16, 4, 1)
        self.se_expand = nn.Conv2d(4, 16, 1)
        self.down = nn.Sequential(nn.Conv2d(16, 24, 3, stride=2, padding=1), nn.BatchNorm2d(24), nn.ReLU())
        self.head = nn.Linear(24, classes)

    def forward(self, x):
        x = self.pool(self.stem(x))
        x = F.relu(x + self.res1(x))
        x = torch.cat([self.branch_a(x), self.branch_b(x)], dim=1)
        s = F.adaptive_avg_pool2d(x, 1)
        s = F.hardsigmoid(self.se_expand(F.relu(self.se_reduce(s))))
        x = x * s
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = self.down(x)
        x = F.adaptive_avg_pool2d(x, 1)
        x = x.view(x.size(0), -1)
        return self.head(x)


class TinyFcn(nn.Module):
    """A fully convolutional network exported with dynamic height and width at opset 11: the upsampling
    sizes come from Shape/Slice/Cast/Mul chains that only fold once the input shape is fixed."""

    def __init__(self, classes=4):
        super().__init__()
        self.enc1 = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU6())
        self.enc2 = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.Hardswish())
        self.dec = nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.head = nn.Conv2d(24, classes, 1)

    def forward(self, x):
        a = self.enc1(x)
        b = self.enc2(a)
        up = F.interpolate(b, size=a.shape[2:], mode="bilinear", align_corners=False)
        d = self.dec(b)
        return self.head(torch.cat([a + d, up * torch.sigmoid(up)], dim=1))


def randomise_batchnorm(model, gen):
    """Fresh BatchNorm layers are identities; give them statistics so folding them is really tested."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=gen) * 0.1)


def build(name):
    if name == "alexnet":
        return torchvision.models.alexnet(weights=None), (1, 3, 224, 224)
    if name == "vgg16":
        return torchvision.models.vgg16(weights=None), (1, 3, 224, 224)
    if name == "resnet18":
        return torchvision.models.resnet18(weights=None), (1, 3, 224, 224)
    if name == "googlenet":
        return torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=True,
                                            transform_input=False), (1, 3, 224, 224)
    if name == "smallnet":
        return SmallNet(), (1, 3, 32, 32)
    if name == "tinyfcn":
        return TinyFcn(), (1, 3, 24, 40)
    raise SystemExit("unknown model " + name)


def export(name, out_dir, seed):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    model, shape = build(name)
    randomise_batchnorm(model, gen)
    model.eval()
    x = torch.randn(*shape, generator=gen)
    with torch.no_grad():
        y = model(x)
    path = os.path.join(out_dir, name + ".onnx")
    fcn = name == "tinyfcn"
    dynamic = {0: "batch", 2: "height", 3: "width"} if fcn else {0: "batch"}
    torch.onnx.export(model, x, path, opset_version=11 if fcn else 13, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": dynamic, "output": dynamic},
                      # The small fixture keeps BatchNormalization (PRESERVE of an eval-mode model) and the
                      # unfolded shape chain, so the importer, not the exporter, has to fold them.
                      do_constant_folding=(name != "smallnet"),
                      training=(torch.onnx.TrainingMode.PRESERVE if name == "smallnet" else torch.onnx.TrainingMode.EVAL))
    x.numpy().astype("<f4").tofile(os.path.join(out_dir, name + "_input.bin"))
    y.numpy().astype("<f4").tofile(os.path.join(out_dir, name + "_output.bin"))
    top5 = np.argsort(-y.numpy().reshape(-1))[:5]
    print(f"{name}: {path} ({os.path.getsize(path) / 1e6:.1f} MB), output {tuple(y.shape)}, top-5 {top5.tolist()}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="target/torch-exports", help="output folder")
    ap.add_argument("--models", default="alexnet,vgg16,resnet18,googlenet", help="comma-separated names "
                    "(alexnet, vgg16, resnet18, googlenet, smallnet, tinyfcn)")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(2)
    for name in args.models.split(","):
        export(name.strip(), args.out, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())

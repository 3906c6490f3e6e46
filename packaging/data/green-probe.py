#!/usr/bin/python3
"""How well the frozen ImageNet ResNet18 (the encoder the default pack starts from) tells green pixels from the rest
on greyscale input: a logistic-regression probe on its features, fitted on the training photos and scored on
validation, as an ROC (share of green found at a given share of false green).

Why: every oversampled run so far traded false green for green along one curve (green x3: 64 % green at 13 % false
green; green x4 / people x3: 70 % at 18 %). If a linear probe on the frozen encoder does much better, the features
are there and the training does not use them; if it does no better, the encoder's view of a grey photo at this
resolution cannot tell grass from fur, skin and sand, and no batch mix will.

  /usr/bin/python3 packaging/data/green-probe.py --onnx <ResNet18.onnx> --train-data DIR --train-list LIST \
      --val-data DIR --val-list LIST [--size 256] [--json OUT]

Pixels are judged on the 1/8 grid of the encoder's input (truth Lab averaged over each 8 x 8 cell, skimage): green
where a < -10 and b > 5 (green-score.py's truth green), not green where not (a < -3 and b > 0) (its "false green"
base); cells in between are left out. Features: layer2 (1/8), layer3 (1/16) and layer4 (1/32) outputs, the deeper
two upsampled bilinearly to the 1/8 grid, 896 per cell, standardised on the training cells.
"""
import argparse
import json
import os

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from PIL import Image
from skimage import color

MEAN_BGR = (103.0626, 115.9029, 123.1516)


class OnnxResNet:
    """Runs the package's ResNet18 graph node by node in PyTorch and keeps every node's output."""

    def __init__(self, path):
        model = onnx.load(path)
        self.weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model.graph.initializer}
        self.nodes = list(model.graph.node)
        self.input = model.graph.input[0].name

    def run(self, x):
        values = dict(self.weights)
        values[self.input] = x
        for n in self.nodes:
            a = {p.name: p for p in n.attribute}
            ins = [values.get(i) for i in n.input]
            if n.op_type == "Conv":
                pads = list(a["pads"].ints) if "pads" in a else [0, 0, 0, 0]
                stride = list(a["strides"].ints) if "strides" in a else [1, 1]
                # ONNX pads are [top, left, bottom, right]; F.pad wants [left, right, top, bottom].
                y = F.pad(ins[0], [pads[1], pads[3], pads[0], pads[2]])
                y = F.conv2d(y, ins[1], ins[2] if len(ins) > 2 else None, stride=stride)
            elif n.op_type == "BatchNormalization":
                eps = a["epsilon"].f if "epsilon" in a else 1e-5
                y = F.batch_norm(ins[0], ins[3], ins[4], ins[1], ins[2], False, 0.0, eps)
            elif n.op_type == "Relu":
                y = F.relu(ins[0])
            elif n.op_type == "MaxPool":
                pads = list(a["pads"].ints) if "pads" in a else [0, 0, 0, 0]
                y = F.pad(ins[0], [pads[1], pads[3], pads[0], pads[2]], value=float("-inf"))
                y = F.max_pool2d(y, list(a["kernel_shape"].ints), list(a["strides"].ints))
            elif n.op_type == "Add":
                y = ins[0] + ins[1]
            else:
                break  # the pooling and flattening at the end: the stages are all computed by then
            values[n.output[0]] = y
        return values

    def stages(self, x):
        """The last ReLU output at 1/8, 1/16 and 1/32 of the input: layer2, layer3, layer4."""
        values = self.run(x)
        h = x.shape[2]
        out = {}
        for n in self.nodes:
            if n.op_type == "Relu" and n.output[0] in values:
                v = values[n.output[0]]
                scale = round(h / v.shape[2])
                if scale in (8, 16, 32):
                    out[scale] = v
        return out[8], out[16], out[32]


def load(path, size):
    """The photo with its short side at `size` (cropped to multiples of 32), as grey BGR input and truth Lab."""
    im = Image.open(path).convert("RGB")
    w, h = im.size
    s = size / min(w, h)
    w2, h2 = max(32, int(w * s) // 32 * 32), max(32, int(h * s) // 32 * 32)
    im = im.resize((max(w2, int(round(w * s))), max(h2, int(round(h * s)))), Image.BICUBIC).crop((0, 0, w2, h2))
    rgb = np.asarray(im, dtype=np.float64) / 255.0
    lab = color.rgb2lab(rgb)
    grey = color.lab2rgb(np.stack([lab[..., 0], np.zeros_like(lab[..., 0]), np.zeros_like(lab[..., 0])], -1)) * 255.0
    x = np.stack([grey[..., 2] - MEAN_BGR[0], grey[..., 1] - MEAN_BGR[1], grey[..., 0] - MEAN_BGR[2]])
    return torch.from_numpy(x[None].astype(np.float32)), lab


def cells(net, path, size, whole=False):
    x, lab = load(path, size)
    with torch.no_grad():
        f8, f16, f32 = net.stages(x)
        g = f8.shape[2:]
        parts = [f8, F.interpolate(f16, g, mode="bilinear", align_corners=False),
                 F.interpolate(f32, g, mode="bilinear", align_corners=False)]
        if whole:
            # The whole photo's layer4 mean beside every cell (Iizuka et al. 2016's global features): does knowing
            # the scene (a meadow, a shop, a beach) tell green cells from the rest better than the local view?
            parts.append(f32.mean((2, 3), keepdim=True).expand(-1, -1, *g))
        feats = torch.cat(parts, 1)[0]
    feats = feats.reshape(feats.shape[0], -1).T.numpy()
    ab = torch.from_numpy(lab[..., 1:].transpose(2, 0, 1)[None].copy())
    ab = F.avg_pool2d(ab, 8)[0].reshape(2, -1).T.numpy()
    green = (ab[:, 0] < -10) & (ab[:, 1] > 5)
    near = (ab[:, 0] < -3) & (ab[:, 1] > 0)
    keep = green | ~near
    return feats[keep], green[keep]


def gather(net, data, listing, size, fraction=1.0, whole=False):
    xs, ys = [], []
    rels = [l.split("\t")[0].strip() for l in open(listing)]
    rels = [r for r in rels if r and not r.startswith("#")]
    step = 1 / fraction
    for rel in [rels[int(i * step)] for i in range(int(len(rels) * fraction))]:
        path = os.path.join(data, rel)
        if not os.path.isfile(path):
            raise SystemExit(f"green-probe: {rel} of {listing} is not in {data}")
        x, y = cells(net, path, size, whole)
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--onnx", required=True)
    p.add_argument("--train-data", required=True)
    p.add_argument("--train-list", required=True)
    p.add_argument("--val-data", required=True)
    p.add_argument("--val-list", required=True)
    p.add_argument("--size", type=int, default=256, help="short side of the encoder's input, pixels")
    p.add_argument("--hidden", type=int, default=0,
                   help="0: a linear probe; N: one hidden layer of N ReLU units (Adam, 8 epochs of 4096-cell batches)")
    p.add_argument("--train-fraction", type=float, default=1.0,
                   help="fit on this share of the training photos (every k-th), to see whether more photos would help")
    p.add_argument("--whole-photo", action="store_true",
                   help="add the photo's mean layer4 features (512) to every cell's: the scene as context")
    p.add_argument("--json")
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    net = OnnxResNet(a.onnx)
    xt, yt = gather(net, a.train_data, a.train_list, a.size, a.train_fraction, a.whole_photo)
    xv, yv = gather(net, a.val_data, a.val_list, a.size, whole=a.whole_photo)
    mu, sd = xt.mean(0), xt.std(0) + 1e-6
    xt, xv = (xt - mu) / sd, (xv - mu) / sd
    xt_t, yt_t = torch.from_numpy(xt.astype(np.float32)), torch.from_numpy(yt.astype(np.float32))
    if not 0 < yt.sum() < len(yt) or not 0 < yv.sum() < len(yv):
        raise SystemExit("green-probe: the training and the validation photos must each have green and non-green cells")
    pos = float(yt.mean())
    weight = torch.where(yt_t > 0, 0.5 / pos, 0.5 / (1 - pos))  # balanced classes
    if a.hidden:
        model = torch.nn.Sequential(torch.nn.Linear(xt.shape[1], a.hidden), torch.nn.ReLU(), torch.nn.Linear(a.hidden, 1))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
        for _ in range(8):
            order = torch.randperm(len(yt_t))
            for i in range(0, len(order), 4096):
                j = order[i:i + 4096]
                opt.zero_grad()
                z = model(xt_t[j])[:, 0]
                (weight[j] * F.binary_cross_entropy_with_logits(z, yt_t[j], reduction="none")).mean().backward()
                opt.step()
        score = lambda x: model(x)[:, 0]
    else:
        w = torch.zeros(xt.shape[1], requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        opt = torch.optim.LBFGS([w, b], max_iter=300, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            z = xt_t @ w + b
            loss = (weight * F.binary_cross_entropy_with_logits(z, yt_t, reduction="none")).mean() + 1e-3 * (w * w).sum()
            loss.backward()
            return loss

        opt.step(closure)
        score = lambda x: x @ w + b
    with torch.no_grad():
        sv = score(torch.from_numpy(xv.astype(np.float32))).numpy()
        st = score(xt_t).numpy()

    def roc(score, y):
        order = np.argsort(-score)
        tp = np.cumsum(y[order]) / max(1, y.sum())
        fp = np.cumsum(~y[order]) / max(1, (~y).sum())
        return tp, fp

    rows = {}
    for name, score, y in (("train", st, yt), ("validation", sv, yv)):
        tp, fp = roc(score, y)
        auc = float(np.trapz(tp, fp))
        at = {f"{f:g}": float(tp[np.searchsorted(fp, f)]) for f in (0.01, 0.03, 0.05, 0.10, 0.13, 0.18)}
        rows[name] = {"cells": int(len(y)), "green": int(y.sum()), "auc": auc, "green_found_at_false_green": at}
    print(f"| split | cells | green cells | ROC AUC | green found at 1 / 3 / 5 / 10 / 13 / 18 % false green |")
    print("|---|---:|---:|---:|---|")
    for name, r in rows.items():
        at = " / ".join(f"{100 * v:.0f}" for v in r["green_found_at_false_green"].values())
        print(f"| {name} | {r['cells']} | {r['green']} | {r['auc']:.3f} | {at} % |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"size": a.size, "hidden": a.hidden, "train_fraction": a.train_fraction,
                       "whole_photo": a.whole_photo, **rows}, f, indent=1)


if __name__ == "__main__":
    main()

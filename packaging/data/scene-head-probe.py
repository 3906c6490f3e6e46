#!/usr/bin/python3
"""Does a sceneLoss run's scene head know which photos are green? For each photo of LIST in DATA_DIR (256 px short
side, the pack's render size), the head's predicted ab histogram (checkpoint keys g.encoder.*, g.global_context.*,
scene.*; tests/golden/architectures.py's PyTorch modules) gives a predicted green share: the mass of the bins whose
centre has a < -10 and b > 5 (green-score.py's rule for green pixels, on bin centres); the truth's share is the
photo's pixels under that rule. Prints each photo's pair, their correlation, and how well the predicted share ranks
the photos with at least 10 % green pixels above the rest (ROC AUC).

    /usr/bin/python3 packaging/data/scene-head-probe.py RUN/checkpoints/epoch-000N.safetensors DATA_DIR LIST [BIN]
"""
import os, sys
import numpy as np, torch
from checkpoint_probe import load, encoder_and_block, photo, listed, refuse

if len(sys.argv) not in (4, 5):
    sys.exit(__doc__.split("\n\n")[1])
ckpt, data, listing = sys.argv[1:4]
bin_size = int(sys.argv[4]) if len(sys.argv) == 5 else 20
half = 110 // bin_size; side = 2 * half + 1
t = load(ckpt)
enc, gc = encoder_and_block(t)
head = torch.nn.Conv2d(256, side * side, 1)
if "scene.weight" not in t or "scene.bias" not in t:
    refuse(ckpt, "no scene head (scene.*): not a checkpoint of a run with sceneLoss")
try:
    head.load_state_dict({"weight": t["scene.weight"].float(), "bias": t["scene.bias"].float()})
except RuntimeError as e:
    refuse(f"{ckpt}: its scene head does not have {side * side} bins of {bin_size}", str(e).splitlines()[0])
centre_a = (np.arange(side * side) // side - half) * bin_size
centre_b = (np.arange(side * side) % side - half) * bin_size
green_bins = torch.from_numpy((centre_a < -10) & (centre_b > 5))
rels = listed(listing)
pred, truth = [], []
with torch.no_grad():
    for rel in rels:
        lab, x = photo(os.path.join(data, rel))
        summary = torch.relu(gc.reduce(enc.features(x)[4].mean((2, 3), keepdim=True)))
        p = torch.softmax(head(summary)[0, :, 0, 0], 0)
        pred.append(float(p[green_bins].sum()))
        L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
        truth.append(float(((a < -10) & (b > 5) & (L > 10) & (L < 95)).mean()))
        print(f"{rel}\tpredicted {pred[-1]:.3f}\ttruth {truth[-1]:.3f}")
pred, truth = np.array(pred), np.array(truth)
pos = truth >= 0.10
auc = np.mean([(pp > pn) + 0.5 * (pp == pn) for pp in pred[pos] for pn in pred[~pos]]) if pos.any() and (~pos).any() else float("nan")
print(f"{len(rels)} photos: correlation {np.corrcoef(pred, truth)[0, 1]:.3f}; {pos.sum()} with >= 10 % green pixels, "
      f"ranked above the rest with ROC AUC {auc:.3f}")

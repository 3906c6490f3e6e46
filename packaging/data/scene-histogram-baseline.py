#!/usr/bin/python3
"""What the trainer's sceneLoss cross-entropy (lossClass in metrics.jsonl, CE in the log, of a run with "sceneLoss") can
be compared with: over a run's training photos (its split.json's "train" list, read from DATA_DIR at most 128 px on
the long side, as the trainer's crops are), the mean entropy of each photo's ab histogram (the floor: a head that
knew every photo's histogram) and the cross-entropy of the mean histogram (a head that knows nothing of the photo).
Bins of BIN ab units over ±110, each pixel in its nearest cell (the trainer also moves out-of-gamut cells to the
nearest in-gamut one: a small difference at the gamut's edge).

    /usr/bin/python3 packaging/data/scene-histogram-baseline.py DATA_DIR RUN/split.json [BIN]
"""
import json, os, sys
import numpy as np
from PIL import Image
from skimage import color

if len(sys.argv) not in (3, 4):
    sys.exit(__doc__.split("\n\n")[1])
root, split = sys.argv[1], sys.argv[2]
bin_size = int(sys.argv[3]) if len(sys.argv) == 4 else 20
half = 110 // bin_size
side = 2 * half + 1
hists = []
try:
    with open(split) as f:
        train = json.load(f)["train"]
except (OSError, ValueError, KeyError, TypeError) as e:
    sys.exit(f"scene-histogram-baseline.py: cannot read the training list of {split}: {e}")
for rel in train:
    try:
        im = Image.open(os.path.join(root, rel)).convert("RGB")
    except (OSError, ValueError) as e:
        sys.exit(f"scene-histogram-baseline.py: cannot read {os.path.join(root, rel)}: {e}")
    im.thumbnail((128, 128))
    lab = color.rgb2lab(np.asarray(im) / 255.0)
    a = np.clip(np.round(lab[..., 1] / bin_size), -half, half).astype(int) + half
    b = np.clip(np.round(lab[..., 2] / bin_size), -half, half).astype(int) + half
    h = np.bincount((a * side + b).ravel(), minlength=side * side).astype(float)
    hists.append(h / h.sum())
H = np.array(hists)
mean = H.mean(0)
floor = -(H * np.log(np.where(H > 0, H, 1))).sum(1).mean()
constant = -(H * np.log(mean + 1e-12)).sum(1).mean()
print(f"{len(H)} training photos, {side}x{side} bins of {bin_size}: mean entropy (floor) {floor:.3f}, "
      f"cross-entropy of the mean histogram {constant:.3f}")

#!/usr/bin/python3
"""Writes green-1.3.txt: the training photos that are green-dominant scenes, for the trainer's `oversample` option.

usage: /usr/bin/python3 packaging/data/list-green-photos.py DATA_DIR TRAIN_LIST > packaging/data/green-1.3.txt
e.g.   /usr/bin/python3 packaging/data/list-green-photos.py /work/data/trainval-1.2 packaging/data/train-1.0.txt \\
           > packaging/data/green-1.3.txt

Why (issue 14): on the full training set the network settles on beige for grass-like textures, the L1 compromise
with dry grass, fur, bark and sand, while fine-tuned on the 8 greenest photos alone it paints them green within ~56
steps (packaging/data/eval/ablation-1.2/README.md). Showing the green scenes more often is one lever.

Rule: a photo of TRAIN_LIST (paths relative to DATA_DIR, '#' lines and blank lines skipped) qualifies when at least
25 % of the pixels of its thumbnail (longer side at most 128 px, PIL's antialiased thumbnail) have a* < -10 and
b* > 5 in skimage's CIE Lab (D65): green, not blue-green water or grey-green shade. Only the training list is read,
so no validation or test photo can be listed (the trainer refuses those). A listed photo that is missing or
unreadable is skipped with a warning on stderr. The list goes to stdout in TRAIN_LIST's order with a comment header;
the chosen count and share go to stderr. Needs Debian's python3-pil and python3-skimage.
"""
import os
import sys

import numpy as np
from PIL import Image
from skimage.color import rgb2lab

THUMBNAIL = 128
MIN_SHARE = 0.25
A_BELOW = -10.0
B_ABOVE = 5.0


def green_share(path):
    """Share of the thumbnail's pixels with a* < A_BELOW and b* > B_ABOVE."""
    with Image.open(path) as image:
        image = image.convert("RGB")
        image.thumbnail((THUMBNAIL, THUMBNAIL))
        lab = rgb2lab(np.asarray(image, dtype=np.float64) / 255.0)
    green = (lab[..., 1] < A_BELOW) & (lab[..., 2] > B_ABOVE)
    return float(green.mean())


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    data_dir, train_list = sys.argv[1], sys.argv[2]
    with open(train_list, encoding="utf-8") as f:
        photos = [line.strip() for line in f if line.strip() and not line.strip().startswith("#")]
    chosen, scored = [], 0
    for relative in photos:
        path = os.path.join(data_dir, relative)
        try:
            share = green_share(path)
        except (OSError, ValueError) as e:
            print(f"warning: skipping {relative}: {e}", file=sys.stderr)
            continue
        scored += 1
        if share >= MIN_SHARE:
            chosen.append((relative, share))

    print(f"# Green-dominant training photos (issue 14), for the trainer's oversample option: at least {MIN_SHARE:.0%} of a")
    print(f"# <= {THUMBNAIL}-px thumbnail's pixels with Lab a < {A_BELOW:g} and b > {B_ABOVE:g}. Written by")
    print(f"# packaging/data/list-green-photos.py from {os.path.basename(train_list)}: {len(chosen)} of {scored} photos.")
    for relative, share in chosen:
        print(relative)
    print(f"{len(chosen)} of {scored} training photos chosen ({len(chosen) / max(1, scored):.1%}); "
          f"{len(photos) - scored} skipped", file=sys.stderr)


if __name__ == "__main__":
    main()

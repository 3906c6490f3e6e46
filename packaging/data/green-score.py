#!/usr/bin/python3
"""Measures whether packs paint vegetation green: issue 14's "grass green", as a figure beside the grids.

usage: green-score.py --packs ID_OR_FOLDER[=LABEL]... --photos LIST_OR_FILES... [--data DIR] [--render-size N]
                      [--json OUT.json]
Each photo is made grey and colorized by each pack through the real `colorize` command line, exactly as test-grid.py
does (same packs and photo arguments; a pack folder gets a scratch COLORIZE_HOME of its own). The output and the truth
are taken to CIE Lab (skimage, D65) at the output's size, and over the truth's **green pixels** (a < -10 and b > 5,
the rule packaging/data/list-green-photos.py picks green-1.3.txt's photos by, with L between 10 and 95 so that black
and blown-out pixels do not count) it reports:
  - green %: the share of those pixels the pack paints green too (a < -5 and b > 0);
  - mean a / mean b: the pack's mean a and b there, beside the truth's (grey is 0; the shipped 1.1.0 paints grass
    beige, a ≈ 0, b > 0);
and over the pixels that are nowhere near green in the truth (not a < -3 with b > 0), false green %: the share the pack
paints green there (a pack that paints everything green would score well on the first figure and badly on this one;
the faintly green pixels between the two rules count for neither).
Pixels are pooled over the photos that have any green pixels (photos without are counted for false green only);
the five photos with the most false green are named per pack, and --json has every photo's figures.
Needs Pillow, NumPy and scikit-image (Debian python3-pil, python3-skimage).
"""
import argparse
import importlib.util
import json
import os
import sys
import tempfile

import numpy as np
from PIL import Image
from skimage.color import rgb2lab

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("test_grid", os.path.join(HERE, "test-grid.py"))
grid = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(grid)


def parse_args():
    p = argparse.ArgumentParser(description="Share of true green pixels each pack paints green.")
    p.add_argument("--packs", nargs="+", required=True, metavar="ID_OR_FOLDER[=LABEL]")
    p.add_argument("--photos", nargs="+", required=True, metavar="LIST_OR_FILE")
    p.add_argument("--data", default=".")
    p.add_argument("--render-size", type=int)
    p.add_argument("--colorize", default=grid.DEFAULT_COLORIZE)
    p.add_argument("--json", help="also write the figures here")
    return p.parse_args()


def lab(path, size=None):
    image = Image.open(path).convert("RGB")
    if size is not None and image.size != size:
        image = image.resize(size, Image.LANCZOS)
    return rgb2lab(np.asarray(image, dtype=np.float64) / 255.0)


def masks(truth):
    L, a, b = truth[..., 0], truth[..., 1], truth[..., 2]
    green = (a < -10) & (b > 5) & (L > 10) & (L < 95)
    return green, ~((a < -3) & (b > 0))


def main():
    args = parse_args()
    photos = grid.expand_photos(args.photos, args.data)
    results = []
    with tempfile.TemporaryDirectory(prefix="green-score-") as scratch:
        inputs = []
        for i, path in enumerate(photos):
            grey = os.path.join(scratch, f"{i:03d}-{os.path.splitext(os.path.basename(path))[0]}.png")
            Image.open(path).convert("L").convert("RGB").save(grey)
            inputs.append(grey)
        for j, spec in enumerate(args.packs):
            ref, home, label = grid.prepare_pack(spec, scratch, j)
            report = grid.colorize(args.colorize, inputs, os.path.join(scratch, f"out-{j}"), ref, home, args.render_size)
            outputs = {os.path.abspath(r["input"]): r["output"] for r in report["results"]}
            green_n = green_hit = other_n = other_hit = 0
            sum_a = sum_b = sum_ta = sum_tb = 0.0
            photos_with_green = 0
            per_photo = []
            for path, grey in zip(photos, inputs):
                out = lab(outputs[os.path.abspath(grey)])
                truth = lab(path, (out.shape[1], out.shape[0]))
                green, other = masks(truth)
                painted = (out[..., 1] < -5) & (out[..., 2] > 0)
                if green.any():
                    photos_with_green += 1
                    green_n += int(green.sum())
                    green_hit += int((painted & green).sum())
                    sum_a += float(out[..., 1][green].sum())
                    sum_b += float(out[..., 2][green].sum())
                    sum_ta += float(truth[..., 1][green].sum())
                    sum_tb += float(truth[..., 2][green].sum())
                other_n += int(other.sum())
                other_hit += int((painted & other).sum())
                per_photo.append({"photo": os.path.relpath(path, args.data),
                                  "greenPercent": 100.0 * int((painted & green).sum()) / max(int(green.sum()), 1),
                                  "falseGreenPercent": 100.0 * int((painted & other).sum()) / max(int(other.sum()), 1)})
            row = {
                "pack": label or report.get("pack") or ref,
                "photos": len(photos),
                "photosWithGreen": photos_with_green,
                "greenPixels": green_n,
                "greenPercent": 100.0 * green_hit / max(green_n, 1),
                "meanA": sum_a / max(green_n, 1),
                "meanB": sum_b / max(green_n, 1),
                "truthMeanA": sum_ta / max(green_n, 1),
                "truthMeanB": sum_tb / max(green_n, 1),
                "falseGreenPercent": 100.0 * other_hit / max(other_n, 1),
                "perPhoto": per_photo,
            }
            results.append(row)
            print(f"{row['pack']}: done", file=sys.stderr)
    print("| pack | green % | mean a | mean b | truth a | truth b | false green % |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['pack']} | {r['greenPercent']:.1f} | {r['meanA']:.1f} | {r['meanB']:.1f} | {r['truthMeanA']:.1f} "
              f"| {r['truthMeanB']:.1f} | {r['falseGreenPercent']:.2f} |")
    if results:
        r = results[0]
        print(f"\n{r['photos']} photos, {r['photosWithGreen']} with green pixels ({r['greenPixels']} pixels at the output size)")
    for r in results:
        worst = sorted(r["perPhoto"], key=lambda p: -p["falseGreenPercent"])[:5]
        print(f"{r['pack']}: most false green in " + ", ".join(f"{p['photo']} {p['falseGreenPercent']:.0f} %" for p in worst))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()

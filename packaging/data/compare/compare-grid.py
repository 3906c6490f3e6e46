#!/usr/bin/env python3
"""Puts the recipes' validation sample grids side by side: grayscale | one column per recipe | truth.

usage: compare-grid.py OUT_DIR OUTPUT.jpg RECIPE[:CHECKPOINT]...
Reads each run's samples/epoch-NNN.png (the trainer's per-epoch grid: rows of 128-px crops input | colorized | truth
with 4-px gaps) for the epoch of the given checkpoint (best by default, or last), and writes one JPEG with a header row
naming the columns. Needs Pillow (Debian python3-pil).
"""
import json
import os
import sys

from PIL import Image, ImageDraw

TILE, GAP = 128, 4


def tile(grid, row, col):
    x, y = GAP + col * (TILE + GAP), GAP + row * (TILE + GAP)
    return grid.crop((x, y, x + TILE, y + TILE))


def main():
    out, target, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    grids, names = [], []
    for spec in specs:
        recipe, _, which = spec.partition(":")
        which = which or "best"
        run = os.path.join(out, f"run-{recipe}")
        pointer = json.load(open(os.path.join(run, "checkpoints", f"{which}.json")))
        epoch = pointer["state"]["epochsCompleted"]
        grids.append(Image.open(os.path.join(run, "samples", f"epoch-{epoch:03d}.png")).convert("RGB"))
        names.append(f"{recipe} ({which} {epoch})")
    rows = (grids[0].height - GAP) // (TILE + GAP)
    cols = len(grids) + 2
    header = 18
    sheet = Image.new("RGB", (GAP + cols * (TILE + GAP), header + GAP + rows * (TILE + GAP)), (40, 40, 40))
    draw = ImageDraw.Draw(sheet)
    for c, label in enumerate(["grayscale input"] + names + ["truth"]):
        draw.text((GAP + c * (TILE + GAP) + 2, 3), label[:22], fill=(230, 230, 230))
    for r in range(rows):
        y = header + GAP + r * (TILE + GAP)
        sheet.paste(tile(grids[0], r, 0), (GAP, y))
        for i, g in enumerate(grids):
            sheet.paste(tile(g, r, 1), (GAP + (i + 1) * (TILE + GAP), y))
        sheet.paste(tile(grids[0], r, 2), (GAP + (cols - 1) * (TILE + GAP), y))
    sheet.save(target, quality=90)


if __name__ == "__main__":
    main()

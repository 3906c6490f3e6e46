#!/usr/bin/env python3
"""Prints the recipe comparison as a Markdown table from the files compare-recipes.sh wrote.

usage: compare-table.py OUT_DIR RECIPE...
One row per recipe and checkpoint (best = the epoch with the best validation PSNR among the recipe's candidate
epochs, last = where the budget stopped it), then the all-grey baseline on the same photos. Standard library only.
"""
import json
import os
import sys


def main():
    out, recipes = sys.argv[1], sys.argv[2:]
    rows = []
    grey = None
    for r in recipes:
        run = os.path.join(out, f"run-{r}")
        epochs = [json.loads(line) for line in open(os.path.join(run, "metrics.jsonl"))]
        best = json.load(open(os.path.join(run, "checkpoints", "best.json")))["state"]
        for which in ("best", "last"):
            ev = json.load(open(os.path.join(out, f"eval-{r}-{which}.json")))
            grey = grey or (ev["grey"], ev["images"], ev["renderSize"], ev["colorfulnessTruth"])
            epoch = best["epochsCompleted"] if which == "best" else epochs[-1]["epoch"]
            rows.append((r, which, epoch, len(epochs), epochs[-1].get("cpuSeconds") or 0, ev["model"]))

    g, images, render, cf_truth = grey
    print(f"Validation split: {images} photos, render size {render}; truth colourfulness {cf_truth:.1f}.\n")
    print("| recipe | checkpoint | epoch (of) | CPU min | PSNR dB | AuC % | ab MAE | CF | ΔCF | cast |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r, which, epoch, total, cpu, m in rows:
        print(f"| {r} | {which} | {epoch} ({total}) | {cpu / 60:.1f} | {m['psnr']:.2f} | {m['auc']:.2f} | {m['abMae']:.2f} "
              f"| {m['colorfulness']:.1f} | {m['deltaColorfulness']:.1f} | {m['cast']:.2f} |")
    print(f"| all-grey | | | | {g['psnr']:.2f} | {g['auc']:.2f} | {g['abMae']:.2f} | {g['colorfulness']:.1f} "
          f"| {g['deltaColorfulness']:.1f} | {g['cast']:.2f} |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Prints the 1.0 model card's test table, by category, from `colorize-train eval --json` output.

usage: card-metrics-1.0.py EVAL.json [CURATED_TSV=packaging/data/curated-1.0.tsv]
EVAL.json is the output of `colorize-train eval --pack <pack> --data <folder> --json`; its photo paths are relative
to that folder, in the `<package>/<file>` layout of curated-1.0.tsv's path column (a path that does not match exactly
is looked up by its last two components). Rows: all photos; scenes (category scene or building: the 1.0 bar is to
beat the all-grey baseline in PSNR and AuC on these); people; animals; plants and food; objects. Each row is the mean
of the per-photo scores, for the model and the all-grey baseline; the columns are card-metrics.py's. On standard
error: the photos eval skipped (unreadable, or grayscale/toned by the trainer's colour detector), photos with no
category, and whether the scenes row beats grey. Standard library only.
"""
import csv
import json
import os
import sys

ROWS = (
    ("scenes and buildings", {"scene", "building"}),
    ("people", {"person"}),
    ("animals", {"animal"}),
    ("plants and food", {"plant", "food"}),
    ("objects", {"object"}),
)


def mean(rows, who, key):
    return sum(p[who][key] for p in rows) / len(rows)


def categories(tsv):
    with open(tsv, newline="") as f:
        return {r["path"]: r["category"] for r in csv.DictReader(f, delimiter="\t")}


def category_of(path, cats):
    if path in cats:
        return cats[path]
    return cats.get("/".join(path.replace("\\", "/").split("/")[-2:]))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.split("\n\n")[1].splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    tsv = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "curated-1.0.tsv")
    ev = json.load(open(sys.argv[1]))
    cats = categories(tsv)
    photos = ev["photos"]
    for p in photos:
        p["category"] = category_of(p["path"], cats)
    print("| photos | PSNR dB | grey PSNR | AuC % | grey AuC | ab MAE | grey MAE | CF | CF truth | ΔCF | grey ΔCF | cast | grey cast |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    groups = [(f"all {len(photos)}", photos)]
    groups += [(f"{len(rows)} {label}", rows) for label, wanted in ROWS
               for rows in [[p for p in photos if p["category"] in wanted]]]
    for label, rows in groups:
        if not rows:
            continue
        cf_truth = sum(p["colorfulnessTruth"] for p in rows) / len(rows)
        print(f"| {label} | {mean(rows, 'model', 'psnr'):.2f} | {mean(rows, 'grey', 'psnr'):.2f} "
              f"| {mean(rows, 'model', 'auc'):.2f} | {mean(rows, 'grey', 'auc'):.2f} "
              f"| {mean(rows, 'model', 'abMae'):.2f} | {mean(rows, 'grey', 'abMae'):.2f} "
              f"| {mean(rows, 'model', 'colorfulness'):.1f} | {cf_truth:.1f} "
              f"| {mean(rows, 'model', 'deltaColorfulness'):.1f} | {mean(rows, 'grey', 'deltaColorfulness'):.1f} "
              f"| {mean(rows, 'model', 'cast'):.2f} | {mean(rows, 'grey', 'cast'):.2f} |")

    known = {c for _, wanted in ROWS for c in wanted}
    other = [p["path"] for p in photos if p["category"] not in known]
    if other:
        print(f"{len(other)} photos in no category row (not in {tsv}, or another category): "
              + ", ".join(f"{p['path']} ({p['category']})" for p in photos if p["category"] not in known), file=sys.stderr)
    skipped = ev.get("skipped") or []
    if skipped:
        print(f"{len(skipped)} photos skipped by eval (unreadable, or grayscale/toned): "
              + ", ".join(f"{s} ({category_of(s, cats)})" for s in skipped), file=sys.stderr)
    scenes = [p for p in photos if p["category"] in ROWS[0][1]]
    if scenes:
        psnr = mean(scenes, "model", "psnr") > mean(scenes, "grey", "psnr")
        auc = mean(scenes, "model", "auc") > mean(scenes, "grey", "auc")
        print(f"{ev.get('pack', '?')} at render size {ev.get('renderSize', '?')} on the {len(scenes)} scenes and buildings: "
              f"beats grey in PSNR: {'yes' if psnr else 'no'}, in AuC: {'yes' if auc else 'no'}", file=sys.stderr)


if __name__ == "__main__":
    main()

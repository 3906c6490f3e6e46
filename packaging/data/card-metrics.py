#!/usr/bin/env python3
"""Prints the model card's test table from `colorize-train eval --json` output.

usage: card-metrics.py EVAL.json
Rows: all photos, the dlib face close-ups (libdlib19.1/000*.jpg: crops of the five men the data set's face photos
show), and the rest (scenes and group photos); each row is the mean of the per-photo scores, for the model and the
all-grey baseline. Standard library only.
"""
import json
import sys


def mean(rows, who, key):
    return sum(p[who][key] for p in rows) / len(rows)


def main():
    ev = json.load(open(sys.argv[1]))
    photos = ev["photos"]
    faces = [p for p in photos if p["path"].split("/")[-1].startswith("000")]
    others = [p for p in photos if p not in faces]
    print("| photos | PSNR dB | grey PSNR | AuC % | grey AuC | ab MAE | grey MAE | CF | CF truth | ΔCF | grey ΔCF | cast | grey cast |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for label, rows in ((f"all {len(photos)}", photos), (f"{len(faces)} face close-ups", faces), (f"{len(others)} scenes and groups", others)):
        if not rows:
            continue
        cf_truth = sum(p["colorfulnessTruth"] for p in rows) / len(rows)
        print(f"| {label} | {mean(rows, 'model', 'psnr'):.2f} | {mean(rows, 'grey', 'psnr'):.2f} "
              f"| {mean(rows, 'model', 'auc'):.2f} | {mean(rows, 'grey', 'auc'):.2f} "
              f"| {mean(rows, 'model', 'abMae'):.2f} | {mean(rows, 'grey', 'abMae'):.2f} "
              f"| {mean(rows, 'model', 'colorfulness'):.1f} | {cf_truth:.1f} "
              f"| {mean(rows, 'model', 'deltaColorfulness'):.1f} | {mean(rows, 'grey', 'deltaColorfulness'):.1f} "
              f"| {mean(rows, 'model', 'cast'):.2f} | {mean(rows, 'grey', 'cast'):.2f} |")


if __name__ == "__main__":
    main()

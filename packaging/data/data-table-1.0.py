#!/usr/bin/env python3
"""Prints the Markdown table of the 1.0 data for the model card: per source package, the photos in each split and
their licences (with counts when a package's photos differ), and the totals per category.

usage: data-table-1.0.py [SPLIT_JSON]
Reads curated-1.0.tsv (path, category, package, licence) and train-1.0.txt, validation-1.0.txt, test-split-1.0.txt
beside this script. With SPLIT_JSON (a run's split.json, its paths relative to the trainval folder) the
train/validation columns are the trainer's own (photos it left out as grayscale or unreadable are counted apart).
Standard library only.
"""
import collections
import json
import os
import re
import sys


def here(name):
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), name)


def short_licence(text):
    """'CC-BY-SA 4.0, Daniel Schwen (https://…)' → 'CC-BY-SA-4.0'; 'UNCLEAR: …' → 'unclear'."""
    if text.startswith("UNCLEAR"):
        return "unclear"
    lic = re.split(r",\s|\s\(", text)[0].strip()
    lic = re.sub(r"^(CC-BY(?:-SA)?) (\d\.\d)$", r"\1-\2", lic)
    return {"Public domain": "Public Domain", "GPLv2+": "GPL-2+", "FDL": "GFDL", "GNU-FDL": "GFDL"}.get(lic, lic)


def main():
    rows = [l.rstrip("\n").split("\t") for l in open(here("curated-1.0.tsv"))][1:]
    info = {r[0]: r for r in rows}
    split = {}
    for name, file in (("train", "train-1.0.txt"), ("validation", "validation-1.0.txt"), ("test", "test-split-1.0.txt")):
        for p in open(here(file)):
            if p.strip():
                split[p.strip()] = name
    if len(sys.argv) > 1:
        run = json.load(open(sys.argv[1]))
        for key in ("train", "validation", "grayscale", "unreadable"):
            for p in run.get(key, []):
                if p in split and split[p] != "test":
                    split[p] = {"grayscale": "left out (grey)", "unreadable": "left out (grey)"}.get(key, key)
    columns = ["train", "validation", "test"] + (["left out (grey)"] if "left out (grey)" in split.values() else [])
    by_pkg = collections.defaultdict(lambda: collections.Counter())
    lic_pkg = collections.defaultdict(collections.Counter)
    by_cat = collections.defaultdict(collections.Counter)
    for p, s in split.items():
        path, cat, pkg, lic = info[p]
        by_pkg[pkg][s] += 1
        lic_pkg[pkg][short_licence(lic)] += 1
        by_cat[cat][s] += 1
    print("| package | " + " | ".join(columns) + " | licence |")
    print("|---|" + "---:|" * len(columns) + "---|")
    for pkg in sorted(by_pkg):
        lics = lic_pkg[pkg]
        lic = next(iter(lics)) if len(lics) == 1 else ", ".join("%s ×%d" % (l, n) for l, n in lics.most_common())
        print("| %s | %s | %s |" % (pkg, " | ".join(str(by_pkg[pkg][c]) for c in columns), lic))
    total = collections.Counter()
    for c in by_pkg.values():
        total.update(c)
    print("| **all** | %s | |" % " | ".join("**%d**" % total[c] for c in columns))
    print()
    print("| category | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for cat in sorted(by_cat):
        print("| %s | %s |" % (cat, " | ".join(str(by_cat[cat][c]) for c in columns)))


if __name__ == "__main__":
    main()

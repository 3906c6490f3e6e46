#!/usr/bin/env python3
"""Prints the Markdown table of the photos the default pack was trained on: file, package, original path, licence.

usage: data-table.py CURATED_DIR SPLIT_JSON
CURATED_DIR is the output of curate.sh (SOURCES.tsv + licenses/); SPLIT_JSON the run's split.json, which says
whether each photo was used for training, validation, test, or left out as grayscale. The licence of a file is
the one of the DEP-5 stanza whose Files: pattern matches the file's name (the last matching stanza wins, as the
format says), else the stanza for '*'.
"""
import fnmatch, json, os, sys

root, split_path = sys.argv[1], sys.argv[2]
split = json.load(open(split_path))
role = {p: k for k in ("train", "validation", "test", "grayscale", "unreadable") for p in split.get(k, [])}

def stanzas(copyright_path):
    out, files = [], None
    for line in open(copyright_path, encoding="utf-8", errors="replace"):
        if line.startswith("Files:"):
            files = line[6:].split()
        elif line[:1] in (" ", "\t") and files is not None and not line.strip().startswith(("Copyright", "License")) and ":" not in line:
            files += line.split()
        elif line.startswith("License:") and files is not None:
            out.append((files, line[8:].strip()))
            files = None
    return out

rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(root, "SOURCES.tsv"))]
print("| photo | used for | package | original path | licence |")
print("|---|---|---|---|---|")
for pkg, original, _ in rows:
    name = os.path.basename(original)
    licence = None
    for patterns, lic in stanzas(os.path.join(root, "licenses", pkg + ".copyright")):
        # a pattern matches a tail of the installed path, or (a Debian source path) the file's own name
        if any(p != "*" and (fnmatch.fnmatch(original, "*/" + p) or ("*" not in os.path.basename(p) and os.path.basename(p) == name)) for p in patterns) \
                or (patterns == ["*"] and licence is None):
            licence = lic
    # the curated file name: plasma wallpapers are <Name>-images.<ext>
    parts = original.split("/")
    curated = f"{pkg}/{parts[parts.index('wallpapers') + 1]}-images.{name.rsplit('.', 1)[1].lower()}" if "/wallpapers/" in original else f"{pkg}/{name}"
    print(f"| {curated.split('/', 1)[1]} | {role.get(curated, '?')} | {pkg} | `{original}` | {licence or 'see package copyright'} |")

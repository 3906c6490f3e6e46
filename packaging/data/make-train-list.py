#!/usr/bin/env python3
"""Writes curated-train.txt, the training + validation photos of default pack 0.3, from the other lists.

usage: make-train-list.py PHOTOS_DIR > packaging/data/curated-train.txt
PHOTOS_DIR is what ../shared/data/training-photos.sh wrote (its SOURCES.tsv names each face crop's person).
Rule: every photo of curated.txt except the held-out test photos of test-split.txt, with at most 4 of the dlib
"johns" face crops per person (those already in curated-scenes.txt first, then by name). With all of them
(44 of 92), the training set would be mostly close-ups of five men; run 1 of 0.1.0 learnt to paint landscapes
in skin tones from such a set. Standard library only.
"""
import collections
import os
import sys

MAX_FACES_PER_PERSON = 4


def read_list(name):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    return [line.strip() for line in open(path) if line.strip()]


def main():
    person = {}
    for line in open(os.path.join(sys.argv[1], "SOURCES.tsv")):
        _, original, *_ = line.rstrip("\n").split("\t")
        if "/johns/" in original:
            person[original.split("/")[-1]] = original.split("/")[-2]
    test = set(read_list("test-split.txt"))
    scenes = set(read_list("curated-scenes.txt"))
    candidates = [rel for rel in read_list("curated.txt") if rel not in test]
    by_person = collections.defaultdict(list)
    for rel in candidates:
        name = rel.split("/")[-1]
        if name in person:
            by_person[person[name]].append(rel)
    kept = set()
    for rels in by_person.values():
        kept.update(sorted(rels, key=lambda r: (r not in scenes, r))[:MAX_FACES_PER_PERSON])
    for rel in candidates:
        if rel.split("/")[-1] not in person or rel in kept:
            print(rel)


if __name__ == "__main__":
    main()

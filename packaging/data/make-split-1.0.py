#!/usr/bin/python3
"""Writes the 1.0 splits of curated-1.0.tsv: test-split-1.0.txt, validation-1.0.txt and train-1.0.txt.

usage: /usr/bin/python3 packaging/data/make-split-1.0.py PHOTOS_DIR
PHOTOS_DIR is what ../shared/data/training-photos.sh wrote (its SOURCES.tsv names each dlib face crop's person).
Run once, before any training and without looking at any model's output. The rule:
- test: the 12 photos of test-split.txt (the old held-out split), plus a stratified random draw (seed TEST_SEED) of
  about 12 % of each category among the photos new in 1.0 (those not in the old curated.txt), at least 3 a category
  where that leaves at least twice as many for training (a category of n photos gives
  max(round(0.12 n), min(3, n // 3))), and then more scene/building photos, drawn the same way, until the test
  split has at least MIN_SCENE_BUILDING of them;
- validation: the same draw (seed VALIDATION_SEED, about 10 % a category, at least 2 where n // 4 allows) among
  every photo left, the old curated ones included;
- train: the rest.
Near-duplicates: the twins found on the contact sheets (and by a difference hash) were left out in curation
(curation-1.0.tsv says which); photos of the same place, object or people that are not twins form GROUPS below and
are drawn as one, so that they land in the same split. The dlib face crops of each person form one group, of at
most MAX_FACES_PER_PERSON crops (those of curated-scenes.txt first, then by name, as make-train-list.py did); the
person's other crops are used nowhere (every person also has crops in the old test split: the same five men as before).
Standard library only; prints the counts per category and split.
"""
import collections
import os
import random
import sys

TEST_SEED, VALIDATION_SEED = 1001, 2002
TEST_SHARE, VALIDATION_SHARE = 0.12, 0.10
MIN_SCENE_BUILDING = 20
MAX_FACES_PER_PERSON = 4

# photos that are not near-twins but show the same thing: drawn together
GROUPS = [
    # the same landmark, another photo (gcompris' categorization and explore_monuments archives, scratch, budgie)
    ["gcompris-qt-data/categorization_099.png", "gcompris-qt-data/explore_monuments_028.png"],  # Statue of Liberty
    ["gcompris-qt-data/categorization_100.png", "gcompris-qt-data/explore_monuments_005.png"],  # Eiffel tower
    ["gcompris-qt-data/categorization_109.png", "gcompris-qt-data/explore_monuments_038.png"],  # Christ the Redeemer
    ["gcompris-qt-data/categorization_112.png", "gcompris-qt-data/explore_monuments_037.png"],  # Taj Mahal
    ["gcompris-qt-data/categorization_117.png", "gcompris-qt-data/explore_monuments_026.png"],  # Mount Rushmore
    ["gcompris-qt-data/categorization_119.png", "gcompris-qt-data/explore_monuments_041.png"],  # Great Wall
    ["gcompris-qt-data/explore_monuments_002.png", "scratch/castle.jpg"],  # Palais des Papes, Avignon
    ["budgie-core/default.jpg", "gcompris-qt-data/explore_monuments_039.png"],  # Colosseum
    ["gcompris-qt-data/categorization_068.png", "gcompris-qt-data/categorization_124.png"],  # the same toy blocks
    # the same place or the same people, another shot
    ["scratch/basketball-court1-a.jpg", "scratch/basketball-court1-b.jpg"],
    ["scratch/brick-wall-and-stairs.jpg", "scratch/brick-wall2.jpg"],
    ["scratch/city-with-water.jpg", "scratch/city-with-water2.jpg"],
    ["scratch/houses.jpg", "scratch/village.jpg"],
    ["libdlib19.1/mmod_cars_test_image.jpg", "libdlib19.1/mmod_cars_test_image2.jpg"],
    ["kphotoalbum/jesper.jpg", "kphotoalbum/jesper_2.jpg"],
    ["kphotoalbum/new_wave_1.png", "kphotoalbum/new_wave_2.jpg"],
    ["kphotoalbum/pool.jpg", "kphotoalbum/pool_2.png"],
    ["kphotoalbum/grand_canyon_1.png", "kphotoalbum/grand_canyon_2.jpg", "kphotoalbum/grand_canyon_3.jpg"],
    ["kphotoalbum/donna.jpg", "kphotoalbum/donna_2.jpg"],
    ["kphotoalbum/skagen.jpg", "kphotoalbum/skagen_2.jpg"],
    ["kphotoalbum/spiff.jpg", "kphotoalbum/spiff_2.jpg"],
    ["psychtoolbox-3-common/stim1.jpg", "psychtoolbox-3-common/stim2.jpg", "psychtoolbox-3-common/stim3.jpg",
     "psychtoolbox-3-common/stim4.jpg", "psychtoolbox-3-common/stim5.jpg"],  # the same rabbits
]


def here(name):
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), name)


def read_list(name):
    return [line.strip() for line in open(here(name)) if line.strip() and not line.startswith("#")]


def main():
    photos = sys.argv[1]
    rows = [line.rstrip("\n").split("\t") for line in open(here("curated-1.0.tsv"))][1:]
    category = {r[0]: r[1] for r in rows}
    old_test = read_list("test-split.txt")
    old_curated = set(read_list("curated.txt"))
    old_scenes = set(read_list("curated-scenes.txt"))
    missing = [p for p in old_test if p not in category]
    if missing:
        raise SystemExit("old test photos not in curated-1.0.tsv: %s" % missing)

    # dlib face crops: SOURCES.tsv's original path is .../johns/<person>/<file>
    person = {}
    for line in open(os.path.join(photos, "SOURCES.tsv")):
        pkg, original = line.split("\t")[:2]
        if "/johns/" in original:
            person["%s/%s" % (pkg, original.split("/")[-1])] = original.split("/")[-2]

    # the units of the draws: groups, one group per person's kept face crops, and single photos
    unit_of = {}
    units = []
    for g in GROUPS:
        members = [p for p in g if p in category]
        for p in members:
            assert p not in unit_of, p
            unit_of[p] = len(units)
        units.append(members)
    unused_faces = []
    by_person = collections.defaultdict(list)
    for p in category:
        if p in person and p not in old_test:
            by_person[person[p]].append(p)
    for name, crops in sorted(by_person.items()):
        crops.sort(key=lambda p: (p not in old_scenes, p))
        kept, rest = crops[:MAX_FACES_PER_PERSON], crops[MAX_FACES_PER_PERSON:]
        unused_faces += rest
        for p in kept:
            unit_of[p] = len(units)
        units.append(kept)
    for p in sorted(category):
        if p not in unit_of and p not in unused_faces:
            unit_of[p] = len(units)
            units.append([p])

    def unit_category(u):
        return collections.Counter(category[p] for p in units[u]).most_common(1)[0][0]

    def draw(candidates, share, minimum, seed, wanted=None):
        """A stratified draw of whole units: per category, shuffled with the seed, until the share is reached."""
        rng = random.Random(seed)
        chosen = []
        for cat in sorted({unit_category(u) for u in candidates}):
            pool = sorted(u for u in candidates if unit_category(u) == cat)
            n = sum(len(units[u]) for u in pool)
            target = max(round(share * n), minimum(n))
            rng.shuffle(pool)
            got = 0
            for u in pool:
                if got >= target:
                    break
                chosen.append(u)
                got += len(units[u])
        return chosen

    old_test_units = {unit_of[p] for p in old_test}
    # a unit with an old test photo goes to test whole (its other photos are the old test photos' near relatives)
    test_units = set(old_test_units)
    new_units = [u for u in range(len(units)) if u not in test_units
                 and not any(p in old_curated for p in units[u])]
    test_units |= set(draw(new_units, TEST_SHARE, lambda n: min(3, n // 3), TEST_SEED))
    # at least MIN_SCENE_BUILDING scene/building photos in the test split
    rng = random.Random(TEST_SEED + 1)
    extra = sorted(u for u in new_units if u not in test_units and unit_category(u) in ("scene", "building"))
    rng.shuffle(extra)
    while sum(len(units[u]) for u in test_units if unit_category(u) in ("scene", "building")) < MIN_SCENE_BUILDING:
        test_units.add(extra.pop())

    rest = [u for u in range(len(units)) if u not in test_units]
    validation_units = set(draw(rest, VALIDATION_SHARE, lambda n: min(2, n // 4), VALIDATION_SEED))
    train_units = [u for u in rest if u not in validation_units]

    def paths(us):
        return sorted(p for u in us for p in units[u])

    # the old test photos first, in their order, then the new ones
    test = old_test + [p for p in paths(test_units) if p not in old_test]
    splits = {"test": test, "validation": paths(validation_units), "train": paths(train_units)}
    for name, file in (("test", "test-split-1.0.txt"), ("validation", "validation-1.0.txt"), ("train", "train-1.0.txt")):
        with open(here(file), "w") as f:
            f.write("".join(p + "\n" for p in splits[name]))
    all_listed = [p for s in splits.values() for p in s]
    assert len(all_listed) == len(set(all_listed))
    assert set(all_listed) | set(unused_faces) == set(category)

    cats = sorted(set(category.values()))
    print("| category | train | validation | test (old + new) | total |")
    print("|---|---:|---:|---:|---:|")
    for cat in cats + ["all"]:
        c = {k: sum(1 for p in v if cat == "all" or category[p] == cat) for k, v in splits.items()}
        old = sum(1 for p in old_test if cat == "all" or category[p] == cat)
        print("| %s | %d | %d | %d (%d + %d) | %d |" % (cat, c["train"], c["validation"], c["test"], old,
                                                       c["test"] - old, sum(c.values())))
    print("face crops beyond %d a person, in no split: %d" % (MAX_FACES_PER_PERSON, len(unused_faces)))


if __name__ == "__main__":
    main()

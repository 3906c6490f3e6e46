#!/usr/bin/python3
"""Contact sheets for curating by eye: 6x5 thumbnails a sheet, each with its index, path and size written under it.

usage: /usr/bin/python3 contact-sheets.py PHOTOS_DIR LIST_TSV OUT_DIR PREFIX
LIST_TSV is SOURCES.tsv or CUTOUTS.tsv of ../shared/data/training-photos.sh (or any file whose lines hold a path
relative to PHOTOS_DIR, '<package>/<file>', in their first column when it contains a '/' — else the file of the
row is found by the package and the original path's name). Writes OUT_DIR/PREFIX-NN.png and OUT_DIR/PREFIX-index.tsv
(index, path, width, height). Cut-outs are drawn on a checkerboard so that their transparency shows.
Needs Debian's python3-pil (hence /usr/bin/python3).
"""
import os
import sys
from PIL import Image, ImageDraw

COLS, ROWS, TW, TH, LABEL = 6, 5, 250, 180, 30


def files(photos, list_path):
    """The curated-style paths of the list's rows, in the list's order (the files of each package directory)."""
    out = []
    for line in open(list_path):
        first = line.split("\t")[0].strip()
        if "/" in first:
            out.append(first)
    if out:
        return out
    # SOURCES.tsv / CUTOUTS.tsv name the package and the original path: list the package folders instead
    base = photos
    pkgs = []
    for line in open(list_path):
        pkg = line.split("\t")[0]
        if pkg and pkg not in pkgs:
            pkgs.append(pkg)
    if os.path.basename(list_path) == "CUTOUTS.tsv":
        base = os.path.join(photos, "cutouts")
    for pkg in pkgs:
        for root, _, names in sorted(os.walk(os.path.join(base, pkg))):
            for n in sorted(names):
                out.append(os.path.relpath(os.path.join(root, n), photos))
    return out


def checker(w, h, s=10):
    im = Image.new("RGB", (w, h), (200, 200, 200))
    d = ImageDraw.Draw(im)
    for y in range(0, h, s):
        for x in range((y // s) % 2 * s, w, 2 * s):
            d.rectangle([x, y, x + s - 1, y + s - 1], fill=(150, 150, 150))
    return im


def main():
    photos, list_path, out_dir, prefix = sys.argv[1:5]
    os.makedirs(out_dir, exist_ok=True)
    rels = files(photos, list_path)
    index = open(os.path.join(out_dir, prefix + "-index.tsv"), "w")
    per = COLS * ROWS
    for s in range(0, len(rels), per):
        sheet = Image.new("RGB", (COLS * TW, ROWS * (TH + LABEL)), (255, 255, 255))
        d = ImageDraw.Draw(sheet)
        for k, rel in enumerate(rels[s:s + per]):
            i = s + k
            x, y = (k % COLS) * TW, (k // COLS) * (TH + LABEL)
            try:
                im = Image.open(os.path.join(photos, rel))
                w, h = im.size
                im.draft("RGB", (TW * 2, TH * 2))
                im = im.convert("RGBA")
                im.thumbnail((TW - 6, TH - 4))
                bg = checker(*im.size) if im.getextrema()[3][0] < 255 else Image.new("RGB", im.size)
                bg.paste(im, (0, 0), im)
                sheet.paste(bg, (x + (TW - im.width) // 2, y + (TH - im.height) // 2))
            except OSError as e:
                w = h = 0
                d.text((x + 5, y + 5), "unreadable: %s" % e, fill=(255, 0, 0))
            name = rel.split("/", 1)[1]
            d.text((x + 3, y + TH), "#%d %dx%d %s" % (i, w, h, rel.split("/")[0][:18]), fill=(0, 0, 0))
            d.text((x + 3, y + TH + 13), name[-40:], fill=(0, 0, 160))
            index.write("%d\t%s\t%d\t%d\n" % (i, rel, w, h))
        sheet.save(os.path.join(out_dir, "%s-%02d.png" % (prefix, s // per)))
    index.close()
    print("%d images, %d sheets in %s" % (len(rels), (len(rels) + per - 1) // per, out_dir))


if __name__ == "__main__":
    main()

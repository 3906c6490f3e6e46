#!/usr/bin/python3
"""Shows what a few colour hints do: grayscale input | automatic | with hints (pins drawn) | truth, one row a photo.

usage: hint-grid.py OUT.jpg --pack FOLDER_OR_ID --photo PATH X,Y[;X,Y…] [--photo …] [--radius R] [--tile-height PX]
                    [--colorize "CMD"]
Each --photo is a colour photo and the points (source pixels) where a user would pin a colour. The hint colour at a
point is the photo's true colour there (the mean sRGB of the disc of --radius px, default 6), as a user who knows the
object's colour would pick it, and the same way `colorize-train eval --hints` takes hints from the truth. The points
are chosen by hand to show a wrong guess being fixed; this is a picture, not a measurement (the model card's hint
figures are). The photo is made grey (Pillow convert('L')), then colorized twice through the real command line:
`colorize GREY.png -o … --pack REF --overwrite --threads 1` and the same with `--hint x,y,#rrggbb,R` per point.
A pack folder is copied into a scratch COLORIZE_HOME as test-grid.py does. Needs Pillow (Debian python3-pil).
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile

from PIL import Image, ImageDraw

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
test_grid = __import__("test-grid")


def parse_args():
    p = argparse.ArgumentParser(description="Colour hints fixing wrong guesses, through the colorize CLI.")
    p.add_argument("out")
    p.add_argument("--pack", required=True)
    p.add_argument("--photo", nargs=2, action="append", required=True, metavar=("PATH", "X,Y;X,Y"))
    p.add_argument("--radius", type=float, default=6)
    p.add_argument("--tile-height", type=int, default=220)
    p.add_argument("--colorize", default=test_grid.DEFAULT_COLORIZE)
    return p.parse_args()


def true_colour(photo, x, y, radius):
    """The mean sRGB of the photo's pixels within radius of (x, y) (pixel centres), as #rrggbb."""
    total, n = [0, 0, 0], 0
    r = int(radius) + 1
    for py in range(max(0, int(y) - r), min(photo.height, int(y) + r + 1)):
        for px in range(max(0, int(x) - r), min(photo.width, int(x) + r + 1)):
            if (px + 0.5 - x) ** 2 + (py + 0.5 - y) ** 2 <= radius * radius:
                for c, v in enumerate(photo.getpixel((px, py))):
                    total[c] += v
                n += 1
    if n == 0:
        sys.exit(f"hint-grid.py: no pixel within {radius} px of ({x}, {y})")
    return "#" + "".join(f"{round(t / n):02x}" for t in total)


def run(command, home, args):
    env = dict(os.environ)
    if home:
        env["COLORIZE_HOME"] = home
    result = subprocess.run(shlex.split(command) + args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"hint-grid.py: colorize failed (exit {result.returncode}): {result.stderr.strip()}")


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="hint-grid-") as scratch:
        ref, home, _ = test_grid.prepare_pack(args.pack, scratch, 0)
        rows = []
        for i, (path, spec) in enumerate(args.photo):
            truth = Image.open(path).convert("RGB")
            points = [tuple(float(v) for v in p.split(",")) for p in spec.split(";") if p]
            hints = [(x, y, true_colour(truth, x, y, args.radius)) for x, y in points]
            grey = os.path.join(scratch, f"{i:02d}-grey.png")
            truth.convert("L").convert("RGB").save(grey)
            auto, hinted = os.path.join(scratch, f"{i:02d}-auto.png"), os.path.join(scratch, f"{i:02d}-hinted.png")
            base = [grey, "--pack", ref, "--overwrite", "--threads", "1", "-o"]
            run(args.colorize, home, base + [auto])
            flags = []
            for x, y, colour in hints:
                flags += ["--hint", f"{x:g},{y:g},{colour},{args.radius:g}"]
            run(args.colorize, home, base + [hinted] + flags)
            shown = Image.open(hinted).convert("RGB")
            draw = ImageDraw.Draw(shown)
            pin = max(4, round(min(shown.size) / 60))
            for x, y, colour in hints:
                draw.ellipse([x - pin, y - pin, x + pin, y + pin], fill=colour, outline=(255, 255, 255), width=max(1, pin // 3))
            rows.append((os.path.basename(path), len(hints), [Image.open(grey), Image.open(auto), shown, truth]))
            print(f"{os.path.basename(path)}: {len(hints)} hints {' '.join(h[2] for h in hints)}", file=sys.stderr)

        h = args.tile_height
        widths = [min(2 * h, max(round(r[2][0].width * h / r[2][0].height) for r in rows))]
        w = widths[0]
        heads = ["grayscale input", "automatic", "with hints (pins shown)", "truth"]
        sheet = Image.new("RGB", (4 * w + 5 * test_grid.GAP, test_grid.HEADER + len(rows) * (h + test_grid.GAP) + test_grid.GAP), test_grid.BACKGROUND)
        draw = ImageDraw.Draw(sheet)
        small = test_grid.font(14)
        for c, text in enumerate(heads):
            draw.text((test_grid.GAP + c * (w + test_grid.GAP), 4), text, fill=test_grid.TEXT, font=small)
        for r, (name, count, tiles) in enumerate(rows):
            top = test_grid.HEADER + r * (h + test_grid.GAP)
            for c, tile in enumerate(tiles):
                fitted = test_grid.fit(tile.convert("RGB"), w, h)
                left = test_grid.GAP + c * (w + test_grid.GAP) + (w - fitted.width) // 2
                sheet.paste(fitted, (left, top + (h - fitted.height) // 2))
            label = f"{name} ({count} hint{'s' if count != 1 else ''})"
            box = draw.textbbox((0, 0), label, font=small)
            draw.rectangle([test_grid.GAP, top + h - (box[3] - box[1]) - 6, test_grid.GAP + box[2] + 6, top + h], fill=(0, 0, 0))
            draw.text((test_grid.GAP + 3, top + h - (box[3] - box[1]) - 5), label, fill=test_grid.TEXT, font=small)
        tmp = args.out + ".tmp.jpg"
        sheet.save(tmp, quality=90)
        os.replace(tmp, args.out)
        print(f"wrote {args.out}: {len(rows)} photos", file=sys.stderr)


if __name__ == "__main__":
    main()

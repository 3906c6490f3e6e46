#!/usr/bin/python3
"""Shows packs side by side on test photos, colorized through the real `colorize` command line.

usage: test-grid.py OUT.jpg --packs ID_OR_FOLDER[=LABEL]... --photos LIST_OR_FILES... [--bw FILES...]
                    [--data DIR] [--render-size N] [--tile-height PX] [--colorize "CMD"]
Rows: each colour photo of --photos as grayscale input | one column per pack | truth; then each scan of --bw as
grayscale input | one column per pack | (blank: its true colours are unknown). A header row names the columns; each
row's first tile carries the photo's file name.
- --packs: a pack id (`id`, `id@version`: looked up as `colorize --pack` does, bundled or installed) or a pack folder
  (a manifest.json and its files, as `colorize-train pack --folder` writes). A folder is copied into a scratch
  COLORIZE_HOME of its own (packs/<id>/<version>/), so folders with the same id and version (select-checkpoint.py's
  candidates) do not clash, and used as `--pack <id>@<version>`; the store is searched before the bundled packs.
  `=LABEL` names the column (default: the id@version colorize reports).
- --photos: image files, or list files (anything not ending in an image extension): one path a line, the first
  tab-separated column (so curated-1.0.tsv or test-split-1.0.txt work), `#` comments and a `path` header skipped;
  relative paths are taken in --data (default: the current folder); so is an image file given directly that does
  not exist as given.
- Every input, colour photo or toned scan, is made grey the same way (Pillow convert('L'), then back to RGB) and
  saved as PNG; the packs colorize that file, so every column sees the same input. For the scans this drops the
  print's tone, which the model ignores anyway (it sees lightness only).
- Each pack runs once over all photos: `dotnet host-adapters/Colorize.Host/bin/Release/net10.0/colorize.dll <pngs>
  -o <dir> --pack <ref> --overwrite --threads 1 --json [--render-size N]` (--colorize replaces the command before
  the inputs; build it with `dotnet build host-adapters/Colorize.Host -c Release`).
Tiles are --tile-height px high (default 256), the column width that of the widest photo at that height (at most
twice the height: wider photos are fitted into it). Writes OUT.jpg at quality 90. Needs Pillow (Debian python3-pil).
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

from PIL import Image, ImageDraw, ImageFont

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
GAP, HEADER, BACKGROUND, TEXT = 4, 24, (40, 40, 40), (230, 230, 230)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_COLORIZE = f"dotnet {os.path.join(REPO, 'host-adapters/Colorize.Host/bin/Release/net10.0/colorize.dll')}"


def parse_args():
    p = argparse.ArgumentParser(description="Packs side by side on test photos, through the colorize CLI.")
    p.add_argument("out")
    p.add_argument("--packs", nargs="+", required=True, metavar="ID_OR_FOLDER[=LABEL]")
    p.add_argument("--photos", nargs="+", default=[], metavar="LIST_OR_FILE")
    p.add_argument("--bw", nargs="+", default=[], metavar="FILE")
    p.add_argument("--data", default=".", help="folder that relative paths of list files are taken in")
    p.add_argument("--render-size", type=int)
    p.add_argument("--tile-height", type=int, default=256)
    p.add_argument("--colorize", default=DEFAULT_COLORIZE, help="the colorize command (default: %(default)s)")
    args = p.parse_args()
    if not args.photos and not args.bw:
        p.error("give --photos, --bw or both")
    return args


def expand_photos(items, data):
    photos = []
    for item in items:
        if item.lower().endswith(IMAGE_EXTENSIONS):
            photos.append(item if os.path.isabs(item) or os.path.isfile(item) else os.path.join(data, item))
            continue
        with open(item) as f:
            for line in f:
                path = line.rstrip("\n").split("\t")[0].strip()
                if not path or path.startswith("#") or path == "path":
                    continue
                photos.append(path if os.path.isabs(path) else os.path.join(data, path))
    missing = [p for p in photos if not os.path.isfile(p)]
    if missing:
        sys.exit(f"test-grid.py: no such photo: {', '.join(missing)}")
    return photos


def prepare_pack(spec, scratch, index):
    """Returns (the --pack reference, the COLORIZE_HOME to use or None, the label or None)."""
    ref, _, label = spec.partition("=")
    if os.path.isdir(ref):
        manifest = json.load(open(os.path.join(ref, "manifest.json")))
        home = os.path.join(scratch, f"home-{index}")
        shutil.copytree(ref, os.path.join(home, "packs", manifest["id"], manifest["version"]))
        return f"{manifest['id']}@{manifest['version']}", home, label or None
    return ref, None, label or None


def colorize(command, inputs, out_dir, ref, home, render_size):
    env = dict(os.environ)
    if home:
        env["COLORIZE_HOME"] = home
    cmd = shlex.split(command) + inputs + ["-o", out_dir, "--pack", ref, "--overwrite", "--threads", "1", "--json"]
    if render_size:
        cmd += ["--render-size", str(render_size)]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        report = None
    if result.returncode != 0 or report is None:
        sys.exit(f"test-grid.py: colorize failed for --pack {ref} (exit {result.returncode}):\n{result.stderr}{result.stdout}")
    return report


def font(size):
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    return ImageFont.load_default()


def fit(image, width, height):
    scale = min(width / image.width, height / image.height)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)


def main():
    args = parse_args()
    colour = expand_photos(args.photos, args.data)
    scans = expand_photos(args.bw, args.data)
    rows = [(p, True) for p in colour] + [(p, False) for p in scans]
    with tempfile.TemporaryDirectory(prefix="test-grid-") as scratch:
        inputs = []
        for i, (path, _) in enumerate(rows):
            grey = os.path.join(scratch, f"{i:03d}-{os.path.splitext(os.path.basename(path))[0]}.png")
            Image.open(path).convert("L").convert("RGB").save(grey)
            inputs.append(grey)
        columns = []
        for j, spec in enumerate(args.packs):
            ref, home, label = prepare_pack(spec, scratch, j)
            out_dir = os.path.join(scratch, f"out-{j}")
            report = colorize(args.colorize, inputs, out_dir, ref, home, args.render_size)
            outputs = {os.path.abspath(r["input"]): r["output"] for r in report["results"]}
            columns.append((label or report.get("pack") or ref, [outputs[os.path.abspath(i)] for i in inputs]))
            print(f"{label or report.get('pack') or ref}: {len(inputs)} photos in {report.get('seconds', 0):.1f} s", file=sys.stderr)

        h = args.tile_height
        widest = max(Image.open(i).width * h / Image.open(i).height for i in inputs)
        w = min(round(widest), 2 * h)
        names = ["grayscale input"] + [c[0] for c in columns] + ["truth"]
        ncols = len(names)
        sheet = Image.new("RGB", (GAP + ncols * (w + GAP), HEADER + GAP + len(rows) * (h + GAP)), BACKGROUND)
        draw = ImageDraw.Draw(sheet)
        header_font, caption_font = font(15), font(12)
        for c, name in enumerate(names):
            text = name
            while len(text) > 3 and draw.textlength(text, font=header_font) > w - 4:
                text = text[:-2] + "…"
            draw.text((GAP + c * (w + GAP) + 2, 4), text, fill=TEXT, font=header_font)
        for r, ((path, has_truth), grey) in enumerate(zip(rows, inputs)):
            y = HEADER + GAP + r * (h + GAP)
            tiles = [Image.open(grey)] + [Image.open(c[1][r]).convert("RGB") for c in columns]
            tiles.append(Image.open(path).convert("RGB") if has_truth else None)
            for c, tile in enumerate(tiles):
                if tile is None:
                    continue
                t = fit(tile, w, h)
                x0 = GAP + c * (w + GAP) + (w - t.width) // 2
                y0 = y + (h - t.height) // 2
                sheet.paste(t, (x0, y0))
                if c == 0:
                    caption = os.path.basename(path) + ("" if has_truth else " (real B&W)")
                    box = draw.textbbox((x0 + 3, y0 + t.height - 17), caption, font=caption_font)
                    draw.rectangle((box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2), fill=(0, 0, 0))
                    draw.text((x0 + 3, y0 + t.height - 17), caption, fill=TEXT, font=caption_font)
        sheet.save(args.out, quality=90)
    print(f"wrote {args.out}: {len(colour)} colour photos, {len(scans)} scans, {len(columns)} packs, {sheet.width}x{sheet.height}", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""PNG encoding of a 24-megapixel photo: PIL (zlib, adaptive filtering) beside Colorize's PngEncoder, level by level.

Two 6000x4000 RGB images: photo24 (bench_codecs.py's synthetic photo: smooth colour fields plus fine noise, hard to
compress) and, when --photo is given, that photo resized to 6000x4000 (real texture). For every level PIL is timed
with its default filter strategy (adaptive, as libpng's), best of --repeats, and the .NET side comes from
`Colorize.Benchmarks png-table` run through --dotnet-cmd; the table shows both times and sizes side by side.
Timings move with the machine's load, so the load average is printed with the table; CPU seconds do not.

Usage:
  /usr/bin/python3 tests/Colorize.Benchmarks/pil/bench_png.py --photo <photo.jpg> --levels 1,3,6,9 \
      --dotnet-cmd "dotnet /tmp/art/bin/Colorize.Benchmarks/release/Colorize.Benchmarks.dll"
"""
import argparse
import io
import os
import shlex
import subprocess
import sys
import time

from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_codecs  # noqa: E402


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def ensure_images(folder, photo):
    os.makedirs(folder, exist_ok=True)
    paths = []
    synthetic = os.path.join(folder, "photo24.ppm")
    if not os.path.exists(synthetic):
        bench_codecs.make_photo().save(synthetic)
    paths.append(synthetic)
    if photo:
        real = os.path.join(folder, "real24.ppm")
        if not os.path.exists(real):
            Image.open(photo).convert("RGB").resize((6000, 4000), Image.LANCZOS).save(real)
        paths.append(real)
    return paths


def time_pil(path, level, repeats):
    img = Image.open(path)
    img.load()
    best, best_cpu, size = None, None, 0
    for _ in range(repeats):
        out = io.BytesIO()
        c0, t0 = time.process_time(), time.perf_counter()
        img.save(out, "PNG", compress_level=level)
        t, c = time.perf_counter() - t0, time.process_time() - c0
        if best is None or t < best:
            best, best_cpu = t, c
        size = out.tell()
    return best, best_cpu, size


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default="/tmp/colorize-bench")
    ap.add_argument("--photo", help="a real photo to resize to 6000x4000 as the second image")
    ap.add_argument("--levels", default="1,3,6,9")
    ap.add_argument("--filters", default="Adaptive", help="the .NET filter modes (PIL always uses its adaptive one)")
    ap.add_argument("--threads", default="1,2", help="the .NET thread counts (PIL uses one)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dotnet-cmd", help="command that runs Colorize.Benchmarks (png-table arguments are appended)")
    args = ap.parse_args()
    images = ensure_images(args.dir, args.photo)
    levels = [int(x) for x in args.levels.split(",")]

    print(f"PIL {Image.__version__}; load before: {load()}")
    pil = {}
    for path in images:
        for level in levels:
            pil[(os.path.basename(path), level)] = time_pil(path, level, args.repeats)

    net = []
    if args.dotnet_cmd:
        cmd = shlex.split(args.dotnet_cmd) + ["png-table", ",".join(images), args.levels, args.filters, args.threads, str(args.repeats)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        lines = [l.split("\t") for l in out.strip().splitlines()]
        header = lines[0]
        net = [dict(zip(header, l)) for l in lines[1:]]
    print(f"load after: {load()}")
    print()
    print("| Image | Level | PIL s (CPU s) | PIL MB | Colorize filter | Threads | Colorize s (CPU s) | Colorize MB | lossless |")
    print("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |")
    for path in images:
        name = os.path.basename(path)
        for level in levels:
            t, c, size = pil[(name, level)]
            rows = [r for r in net if r["image"] == name and int(r["level"]) == level]
            if not rows:
                print(f"| {name} | {level} | {t:.2f} ({c:.2f}) | {size / 1e6:.1f} | | | | | |")
            for r in rows:
                print(f"| {name} | {level} | {t:.2f} ({c:.2f}) | {size / 1e6:.1f} | {r['filter']} | {r['threads']} | "
                      f"{float(r['seconds']):.2f} ({float(r['cpu_seconds']):.2f}) | {int(r['bytes']) / 1e6:.1f} | {r['lossless']} |")


if __name__ == "__main__":
    main()

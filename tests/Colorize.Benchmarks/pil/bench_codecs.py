#!/usr/bin/python3
"""Creates the 24-megapixel benchmark images (deterministic) and times PIL (libjpeg-turbo, zlib) on them, for
comparison with Colorize.Benchmarks' CodecBenchmarks, which reads the same files.

Usage: /usr/bin/python3 tests/Colorize.Benchmarks/pil/bench_codecs.py [--dir /tmp/colorize-bench] [--repeats 5]
Files: photo24.jpg (6000x4000, quality 90, 4:2:0, baseline), photo24.png (RGB, zlib level 6), photo24.ppm (raw).
"""
import argparse
import io
import os
import statistics
import time

import numpy as np
from PIL import Image


def make_photo(width=6000, height=4000, seed=1):
    """A photo-like image: smooth low-frequency colour fields plus fine texture, so codecs work as on photos."""
    rng = np.random.default_rng(seed)
    small = rng.random((height // 100, width // 100, 3)) * 255
    base = np.array(Image.fromarray(small.astype(np.uint8)).resize((width, height), Image.BICUBIC), dtype=np.float32)
    texture = rng.normal(0, 6, (height, width, 1)).astype(np.float32)
    return Image.fromarray(np.clip(base + texture, 0, 255).astype(np.uint8), "RGB")


def timed(fn, repeats):
    fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="/tmp/colorize-bench")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    jpg, png, ppm = (os.path.join(args.dir, f"photo24.{e}") for e in ("jpg", "png", "ppm"))
    if not all(os.path.exists(p) for p in (jpg, png, ppm)):
        img = make_photo()
        img.save(jpg, quality=90, subsampling=2)
        img.save(png, compress_level=6)
        img.save(ppm)
    img = Image.open(ppm)
    img.load()
    jpg_bytes = open(jpg, "rb").read()
    png_bytes = open(png, "rb").read()

    def decode(data):
        im = Image.open(io.BytesIO(data))
        im.load()

    def encode(fmt, **kw):
        img.save(io.BytesIO(), fmt, **kw)

    print(f"PIL {Image.__version__}; images in {args.dir}")
    print("| work (24 MP, 6000×4000 RGB) | PIL median (ms) |")
    print("| --- | --- |")
    print(f"| JPEG decode (q90 4:2:0 baseline) | {timed(lambda: decode(jpg_bytes), args.repeats) * 1000:.0f} |")
    print(f"| JPEG encode (q90 4:2:0) | {timed(lambda: encode('JPEG', quality=90, subsampling=2), args.repeats) * 1000:.0f} |")
    print(f"| PNG decode (8-bit RGB) | {timed(lambda: decode(png_bytes), args.repeats) * 1000:.0f} |")
    print(f"| PNG encode (level 6) | {timed(lambda: encode('PNG', compress_level=6), max(1, args.repeats // 2)) * 1000:.0f} |")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Decodes the files our encoders wrote with independent decoders and compares them with the intended pixels.

    COLORIZE_ENCODER_OUTPUT_DIR=/tmp/enc dotnet test tests/Colorize.Imaging.Tests --filter EncoderOutputTests
    /usr/bin/python3 tests/Colorize.Imaging.Tests/reference/verify_encoders.py /tmp/enc

PNG: pypng (exact at 8 and 16 bits) and PIL (exact at 8 bits and 16-bit gray). BMP: PIL. TIFF: tifffile (exact at 8
and 16 bits) and PIL (8-bit). Prints one line per file and exits non-zero on any mismatch.
"""
import gzip
import os
import struct
import sys

import numpy as np
import png
import tifffile
from PIL import Image


def read_ref(path):
    blob = gzip.open(path).read()
    assert blob[:4] == b"CREF"
    w, h, c, bits = struct.unpack("<IIBB", blob[4:14])
    arr = np.frombuffer(blob[14:], dtype="<u2" if bits == 16 else "u1").reshape(h, w, c)
    return arr


def pypng_pixels(path):
    w, h, rows, info = png.Reader(filename=path).asDirect()
    return np.vstack([np.asarray(r) for r in rows]).reshape(h, w, info["planes"])


def main(folder):
    failures = 0
    for name in sorted(os.listdir(folder)):
        if name.endswith(".ref.gz"):
            continue
        path = os.path.join(folder, name)
        want = read_ref(path + ".ref.gz")
        checks = []
        if name.endswith(".png"):
            checks.append(("pypng", pypng_pixels(path)))
            im = Image.open(path)
            if want.dtype == np.uint8 or want.shape[2] == 1:
                pil = np.asarray(im)
                checks.append(("PIL", pil.reshape(want.shape) if pil.ndim == 2 else pil))
            else:
                checks.append(("PIL (high byte)", None if im.mode in ("I", "I;16") else np.asarray(im.convert("RGBA" if want.shape[2] == 4 else "RGB"))))
        elif name.endswith(".bmp"):
            im = Image.open(path)
            pil = np.asarray(im.convert({1: "L", 3: "RGB", 4: "RGBA"}[want.shape[2]]))
            checks.append(("PIL", pil.reshape(want.shape)))
        else:
            checks.append(("tifffile", tifffile.imread(path).reshape(want.shape)))
            if want.dtype == np.uint8 or want.shape[2] == 1:
                checks.append(("PIL", np.asarray(Image.open(path)).reshape(want.shape)))
        for decoder, got in checks:
            if got is None:
                continue
            expected = want >> 8 if decoder.endswith("(high byte)") else want
            ok = got.shape == expected.shape and np.array_equal(got.astype(np.int64), expected.astype(np.int64))
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name:24} {decoder}")
    print(f"{failures} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

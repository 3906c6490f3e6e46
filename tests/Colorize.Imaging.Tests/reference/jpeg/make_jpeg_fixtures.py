#!/usr/bin/python3
"""Builds the JPEG conformance corpus in TestData/jpeg and its reference pixels.

Run from anywhere with Debian's Python (it has PIL):

    /usr/bin/python3 tests/Colorize.Imaging.Tests/reference/jpeg/make_jpeg_fixtures.py

Needs libjpeg-turbo-progs 2.1.5 (cjpeg, djpeg), python3-pil, golang-1.19-src (Go's test images),
libdlib19.1's example photos (fetched with `apt-get download libdlib19.1` if not installed), and gcc with
libjpeg62-turbo-dev for ycck.c. Nothing here is written by our own code: the JPEG files come from Go's test
data, dlib's examples, cjpeg, PIL and libjpeg; every reference is djpeg's default output (islow IDCT, fancy
upsampling; CMYK/YCCK turned into RGB by djpeg's PPM writer), turned upright with PIL's EXIF transpose
mapping where the file has an orientation tag.

Layout (under TestData/jpeg):
  go/, photos/, cjpeg/, pil/, libjpeg/, damaged/   <file> and <file>.ref.gz (reference pixels)
  unsupported/                                     files the decoder must refuse (no reference)
  encoder/                                         source pixels (<source>.source.gz) and what cjpeg made of
                                                   them (<source>-<settings>.jpg; the test reads the settings
                                                   from the name: qN, 420/444, optimize, restartN, grayscale)
Reference format (shared with the other suites, see Infrastructure/ReferenceImage.cs): gzip of "CREF",
int32 width, int32 height (little-endian), byte channels, byte bits, then the samples.

The script also prints, for our encoder's output if a folder of it is given with --ours DIR (files named like
the encoder fixtures), the PSNR of djpeg's and PIL's decoding of it against the source pixels.
"""

import argparse
import gzip
import io
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(TESTS, "TestData", "jpeg")
GO = "/usr/share/go-1.19/src/image/testdata"
DLIB = "/usr/share/doc/libdlib19.1/examples/johns"

# Go test images used (BSD licence, see go/LICENSE-go.txt). The truncated progressive one is decoded by
# libjpeg with block smoothing, which this corpus does not model exactly; it is tested separately.
GO_FILES = [
    "video-001.jpeg", "video-001.221212.jpeg", "video-001.cmyk.jpeg", "video-001.progressive.jpeg",
    "video-001.q50.410.jpeg", "video-001.q50.410.progressive.jpeg", "video-001.q50.411.jpeg",
    "video-001.q50.411.progressive.jpeg", "video-001.q50.420.jpeg", "video-001.q50.420.progressive.jpeg",
    "video-001.q50.422.jpeg", "video-001.q50.422.progressive.jpeg", "video-001.q50.440.jpeg",
    "video-001.q50.440.progressive.jpeg", "video-001.q50.444.jpeg", "video-001.q50.444.progressive.jpeg",
    "video-001.rgb.jpeg", "video-001.separate.dc.progression.jpeg",
    "video-001.separate.dc.progression.progressive.jpeg", "video-005.gray.jpeg", "video-005.gray.q50.jpeg",
    "video-005.gray.q50.2x2.jpeg", "video-005.gray.q50.2x2.progressive.jpeg",
    "video-005.gray.q50.progressive.jpeg", "video-001.progressive.truncated.jpeg",
]
NO_REFERENCE = {"video-001.progressive.truncated.jpeg"}

DLIB_FILES = [
    "John_Salley/000179_02159509.jpg",
    "John_Salley/000183_02159543.jpg",
]

# name -> (source, cjpeg arguments)
CJPEG = {
    "baseline-420-q75": ("rgb", ["-quality", "75"]),
    "baseline-444-q90": ("rgb", ["-quality", "90", "-sample", "1x1"]),
    "baseline-422": ("mid", ["-sample", "2x1"]),
    "baseline-440": ("mid", ["-sample", "1x2"]),
    "baseline-411": ("mid", ["-sample", "4x1"]),
    "baseline-410": ("mid", ["-sample", "4x2"]),
    "odd-420": ("odd", ["-quality", "80"]),
    "odd-422": ("odd", ["-sample", "2x1"]),
    "odd-440": ("odd", ["-sample", "1x2"]),
    "odd-mixed-2x2-2x1-1x2": ("odd", ["-sample", "2x2,2x1,1x2"]),
    "odd-mixed-2x1-1x2-1x1": ("odd", ["-sample", "2x1,1x2,1x1"]),
    "odd-chroma-larger-1x1-2x2-1x1": ("odd", ["-sample", "1x1,2x2,1x1"]),
    "odd-3x1": ("odd", ["-sample", "3x1,1x1,1x1"]),
    "odd-3x2-1x2": ("odd", ["-sample", "3x2,1x2,1x1"]),
    "odd-1x4-1x2-1x1": ("odd", ["-sample", "1x4,1x2,1x1"]),
    "tiny-3x2-420": ("tiny", ["-sample", "2x2"]),
    "tiny-3x2-422": ("tiny", ["-sample", "2x1"]),
    "narrow-4x64-420": ("narrow", []),
    "quality-5-baseline": ("rgb", ["-quality", "5", "-baseline"]),
    "quality-100": ("mid", ["-quality", "100"]),
    "quality-100-444": ("odd", ["-quality", "100", "-sample", "1x1"]),
    "quality-3-16bit-tables": ("mid", ["-quality", "3"]),
    "optimized": ("mid", ["-optimize"]),
    "restart-every-row": ("mid", ["-restart", "1"]),
    "restart-every-5-mcus": ("odd", ["-restart", "5B"]),
    "restart-1-mcu-444": ("odd", ["-restart", "1B", "-sample", "1x1"]),
    "progressive": ("rgb", ["-progressive"]),
    "progressive-444": ("odd", ["-progressive", "-sample", "1x1"]),
    "progressive-422-optimized": ("odd", ["-progressive", "-sample", "2x1", "-optimize"]),
    "progressive-restart": ("odd", ["-progressive", "-restart", "2B"]),
    "progressive-custom-scans": ("odd", ["-scans", "@scans-progressive.txt"]),
    "sequential-three-scans": ("odd", ["-scans", "@scans-sequential.txt"]),
    "rgb-colorspace": ("mid", ["-rgb"]),
    "rgb-colorspace-odd-subsampled": ("odd", ["-rgb", "-sample", "2x2,1x1,1x1"]),
    "gray": ("gray", []),
    "gray-progressive": ("gray", ["-progressive"]),
    "gray-q20-restart": ("gray", ["-quality", "20", "-restart", "3B"]),
    "gray-from-rgb-odd": ("odd", ["-grayscale"]),
}

# A progressive script with spectral selection and successive approximation on DC and AC, bands of odd
# widths, and every refinement step, so every progressive decoding path runs.
SCANS_PROGRESSIVE = """
0,1,2: 0-0, 0, 2;
0: 1-2, 0, 1;
2: 1-9, 0, 0;
1: 1-63, 0, 2;
0: 3-63, 0, 1;
0,1,2: 0-0, 2, 1;
0,1,2: 0-0, 1, 0;
1: 1-63, 2, 1;
0: 1-63, 1, 0;
1: 1-63, 1, 0;
2: 10-63, 0, 0;
"""

SCANS_SEQUENTIAL = """
0: 0-63, 0, 0;
2: 0-63, 0, 0;
1: 0-63, 0, 0;
"""

# Encoder fixtures: name -> (source, our settings as the test reads them from the name, cjpeg arguments).
ENCODER = {
    "rgb-q75-420": ("rgb", ["-quality", "75"]),
    "rgb-q90-444": ("rgb", ["-quality", "90", "-sample", "1x1"]),
    "rgb-q95-420-optimize": ("rgb", ["-quality", "95", "-optimize"]),
    "mid-q10-444": ("mid", ["-quality", "10", "-sample", "1x1"]),
    "mid-q1-420": ("mid", ["-quality", "1"]),
    "mid-q100-444-optimize": ("mid", ["-quality", "100", "-sample", "1x1", "-optimize"]),
    "odd-q80-420-restart3": ("odd", ["-quality", "80", "-restart", "3B"]),
    "odd-q60-444-optimize-restart2": ("odd", ["-quality", "60", "-sample", "1x1", "-optimize", "-restart", "2B"]),
    "odd-q85-420-optimize": ("odd", ["-quality", "85", "-optimize"]),
    "tiny-q75-420": ("tiny", ["-quality", "75"]),
    "gray-q75": ("gray", ["-quality", "75"]),
    "gray-q30-optimize-restart4": ("gray", ["-quality", "30", "-optimize", "-restart", "4B"]),
    "odd-q75-grayscale": ("odd", ["-quality", "75", "-grayscale"]),
}

# EXIF orientation as PIL's ImageOps.exif_transpose applies it.
TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def run(args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, **kwargs).stdout


def write_cref(path, width, height, channels, samples):
    data = b"CREF" + struct.pack("<iiBB", width, height, channels, 8) + bytes(samples)
    with open(path, "wb") as f:
        # mtime=0 keeps the fixture bytes reproducible.
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as g:
            g.write(data)


def read_pnm(data):
    """Parses djpeg's binary PGM/PPM output into (width, height, channels, samples)."""
    fields = []
    pos = 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        start = pos
        while not data[pos:pos + 1].isspace():
            pos += 1
        fields.append(data[start:pos])
    pos += 1
    channels = 1 if fields[0] == b"P5" else 3
    width, height = int(fields[1]), int(fields[2])
    return width, height, channels, data[pos:pos + width * height * channels]


def djpeg_image(path):
    """djpeg's default decoding as a PIL image (djpeg exits with 2 on warnings, which damaged files give)."""
    result = subprocess.run(["djpeg", "-pnm", path], capture_output=True)
    if result.returncode not in (0, 2) or not result.stdout:
        raise RuntimeError(f"djpeg failed on {path}: {result.stderr.decode()}")
    width, height, channels, samples = read_pnm(result.stdout)
    return Image.frombytes("L" if channels == 1 else "RGB", (width, height), samples)


def write_reference(path):
    image = djpeg_image(path)
    with Image.open(path) as original:
        orientation = original.getexif().get(0x0112, 1)
    if orientation in TRANSPOSE:
        image = image.transpose(TRANSPOSE[orientation])
    channels = 1 if image.mode == "L" else 3
    write_cref(path + ".ref.gz", image.width, image.height, channels, image.tobytes())


def exif_orientation_block(orientation, big_endian):
    """An APP1 EXIF payload with one IFD0 entry: Orientation (0x0112, SHORT)."""
    order = ">" if big_endian else "<"
    tiff = (b"MM" if big_endian else b"II") + struct.pack(order + "HI", 42, 8)
    tiff += struct.pack(order + "H", 1)
    tiff += struct.pack(order + "HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff += struct.pack(order + "I", 0)
    return b"Exif\x00\x00" + tiff


def sources(work):
    """The source images cjpeg and PIL encode: Go's test pictures (BSD), cropped and resized."""
    rgb = Image.open(os.path.join(GO, "video-001.png")).convert("RGB")
    gray = Image.open(os.path.join(GO, "video-005.gray.png")).convert("L")
    images = {
        "rgb": rgb,
        "odd": rgb.crop((41, 23, 41 + 67, 23 + 45)),
        "mid": rgb.crop((10, 8, 10 + 96, 8 + 64)),
        "small": rgb.crop((50, 30, 50 + 40, 30 + 24)),
        "tiny": rgb.crop((70, 40, 73, 42)),
        "narrow": rgb.crop((20, 10, 24, 74)),
        "gray": gray,
    }
    paths = {}
    for name, image in images.items():
        paths[name] = os.path.join(work, name + (".pgm" if image.mode == "L" else ".ppm"))
        image.save(paths[name])
    return images, paths


def psnr(a, b):
    assert a.size == b.size and a.mode == b.mode
    x, y = a.tobytes(), b.tobytes()
    mse = sum((p - q) ** 2 for p, q in zip(x, y)) / len(x)
    return float("inf") if mse == 0 else 10 * math.log10(255 * 255 / mse)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ours", help="a folder with our encoder's output, <fixture>.jpg, to report PSNR of")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="jpeg-fixtures-")
    images, paths = sources(work)

    if args.ours:
        report_psnr(args.ours, images)
        return

    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    for folder in ["go", "photos", "cjpeg", "pil", "libjpeg", "damaged", "unsupported", "encoder"]:
        os.makedirs(os.path.join(OUT, folder))

    # Go's test images, as shipped.
    for name in GO_FILES:
        shutil.copy(os.path.join(GO, name), os.path.join(OUT, "go", name))
        if name not in NO_REFERENCE:
            write_reference(os.path.join(OUT, "go", name))
    shutil.copy("/usr/share/doc/golang-1.19-src/copyright", os.path.join(OUT, "go", "LICENSE-go.txt"))

    # Photos from dlib's examples (public domain), as shipped: someone else's encoder.
    dlib = DLIB if os.path.isdir(DLIB) else extract_dlib(work)
    for name in DLIB_FILES:
        target = os.path.join(OUT, "photos", "dlib-" + os.path.basename(name))
        shutil.copy(os.path.join(dlib, name), target)
        write_reference(target)

    # cjpeg variants.
    with open(os.path.join(work, "scans-progressive.txt"), "w") as f:
        f.write(SCANS_PROGRESSIVE)
    with open(os.path.join(work, "scans-sequential.txt"), "w") as f:
        f.write(SCANS_SEQUENTIAL)
    for name, (source, options) in CJPEG.items():
        options = [os.path.join(work, o[1:]) if o.startswith("@") else o for o in options]
        target = os.path.join(OUT, "cjpeg", name + ".jpg")
        with open(target, "wb") as f:
            f.write(run(["cjpeg"] + options + [paths[source]]))
        write_reference(target)

    # Colour space from component ids alone: cjpeg files with their APP14 (Adobe) or APP0 (JFIF) segment removed.
    def without_segment(data, marker):
        i = data.index(bytes([0xFF, marker]))
        length = (data[i + 2] << 8) | data[i + 3]
        return data[:i] + data[i + 2 + length:]

    for name, source, marker in [("rgb-by-component-ids", "rgb-colorspace.jpg", 0xEE), ("ycbcr-no-jfif", "odd-420.jpg", 0xE0)]:
        with open(os.path.join(OUT, "cjpeg", source), "rb") as f:
            data = without_segment(f.read(), marker)
        target = os.path.join(OUT, "cjpeg", name + ".jpg")
        with open(target, "wb") as f:
            f.write(data)
        write_reference(target)

    # PIL variants: CMYK (Adobe, inverted), 4:2:2, EXIF orientations 1..8 in both byte orders.
    pil = os.path.join(OUT, "pil")
    images["odd"].convert("CMYK").save(os.path.join(pil, "cmyk.jpg"), quality=85)
    images["mid"].save(os.path.join(pil, "subsampling-422.jpg"), quality=80, subsampling=1)
    images["mid"].save(os.path.join(pil, "progressive-optimized.jpg"), quality=70, progressive=True, optimize=True)
    for orientation in range(1, 9):
        for big_endian in (False, True):
            name = f"exif-orientation-{orientation}-{'mm' if big_endian else 'ii'}.jpg"
            images["small"].save(os.path.join(pil, name), quality=85, exif=exif_orientation_block(orientation, big_endian))
    images["gray"].crop((0, 0, 33, 20)).save(os.path.join(pil, "gray-exif-orientation-6.jpg"), quality=85, exif=exif_orientation_block(6, True))
    for name in sorted(os.listdir(pil)):
        write_reference(os.path.join(pil, name))

    # YCCK through libjpeg itself.
    binary = os.path.join(work, "ycck")
    run(["gcc", "-O2", "-o", binary, os.path.join(HERE, "ycck.c"), "-ljpeg"])
    for quality in (60, 90):
        target = os.path.join(OUT, "libjpeg", f"ycck-q{quality}.jpg")
        run([binary, paths["odd"], target, str(quality)])
        write_reference(target)

    make_damaged(paths)

    # Files the decoder must refuse.
    with open(os.path.join(OUT, "unsupported", "arithmetic.jpg"), "wb") as f:
        f.write(run(["cjpeg", "-arithmetic", paths["odd"]]))
    with open(os.path.join(OUT, "unsupported", "arithmetic-progressive.jpg"), "wb") as f:
        f.write(run(["cjpeg", "-arithmetic", "-progressive", paths["gray"]]))

    # Encoder fixtures: the source pixels and cjpeg's file for the same settings.
    for source in sorted({source for source, _ in ENCODER.values()}):
        image = images[source]
        write_cref(os.path.join(OUT, "encoder", source + ".source.gz"), image.width, image.height,
                   1 if image.mode == "L" else 3, image.tobytes())
    for name, (source, options) in ENCODER.items():
        assert name.startswith(source + "-")
        with open(os.path.join(OUT, "encoder", name + ".jpg"), "wb") as f:
            f.write(run(["cjpeg", "-baseline"] + options + [paths[source]]))

    write_notes(dlib)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT}: {total / 1024:.0f} KiB")


def write_notes(dlib):
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("""# JPEG conformance corpus

Made by `reference/jpeg/make_jpeg_fixtures.py` (do not edit by hand; rerun the script). Each `<file>.ref.gz`
holds djpeg's (libjpeg-turbo 2.1.5) default decoding of `<file>`, turned upright by its EXIF orientation.

- `go/`: Go's image/testdata JPEGs from Debian's golang-1.19-src, unchanged. BSD licence: `go/LICENSE-go.txt`.
- `photos/`: photographs from dlib's examples (Debian's libdlib19.1), unchanged. Licence: `photos/LICENSE-dlib.txt`.
- `cjpeg/`, `pil/`, `libjpeg/`, `damaged/`, `unsupported/`, `encoder/`: made from crops of Go's
  video-001.png and video-005.gray.png (BSD, as above) with cjpeg, PIL and libjpeg (`ycck.c`).
""")
    copyright_file = os.path.join(os.path.dirname(os.path.dirname(dlib)), "..", "copyright")
    candidates = [os.path.normpath(copyright_file), "/usr/share/doc/libdlib19.1/copyright"]
    text = next((open(c).read() for c in candidates if os.path.exists(c)), None)
    with open(os.path.join(OUT, "photos", "LICENSE-dlib.txt"), "w") as f:
        f.write("The photos come from dlib's examples/johns folder as Debian's libdlib19.1 ships them.\n")
        f.write("Debian's copyright file for the package says of examples/*:\n\n")
        if text and "Files: examples/*" in text:
            block = text[text.index("Files: examples/*"):]
            f.write(block.split("\n\n")[0] + "\n")
        else:
            f.write("Files: examples/*\nCopyright: 2003-2018 Davis E King <davis@dlib.net>\nLicense: Creative-Commons-Public-Domain\n")


def extract_dlib(work):
    debs = os.path.join(work, "debs")
    os.makedirs(debs)
    subprocess.run(["apt-get", "download", "libdlib19.1"], cwd=debs, check=True, capture_output=True)
    deb = [f for f in os.listdir(debs) if f.endswith(".deb")][0]
    root = os.path.join(work, "dlib")
    run(["dpkg", "-x", os.path.join(debs, deb), root])
    return root + DLIB


def make_damaged(paths):
    """Restart markers missing, renumbered or preceded by garbage; truncated scans. djpeg's output is the reference."""
    damaged = os.path.join(OUT, "damaged")
    restart = run(["cjpeg", "-restart", "1", paths["rgb"]])
    markers = [i for i in range(len(restart) - 1) if restart[i] == 0xFF and 0xD0 <= restart[i + 1] <= 0xD7]
    assert len(markers) >= 5, "expected restart markers"

    def save(name, data):
        target = os.path.join(damaged, name)
        with open(target, "wb") as f:
            f.write(data)
        write_reference(target)

    m = markers[2]
    save("restart-marker-missing.jpg", restart[:m] + restart[m + 2:])
    save("restart-marker-wrong-number.jpg", restart[:m + 1] + bytes([0xD0 + ((restart[m + 1] - 0xD0 + 3) & 7)]) + restart[m + 2:])
    save("restart-marker-previous-number.jpg", restart[:m + 1] + bytes([0xD0 + ((restart[m + 1] - 0xD0 - 1) & 7)]) + restart[m + 2:])
    save("restart-garbage-before-marker.jpg", restart[:m] + bytes([0x12, 0x34, 0xFF, 0x00, 0x56]) + restart[m:])
    m2 = markers[4]
    save("restart-two-markers-missing.jpg", restart[:m] + restart[m + 2:m2] + restart[m2 + 2:])
    baseline = run(["cjpeg", "-quality", "85", paths["odd"]])
    save("truncated-baseline-60pct.jpg", baseline[:len(baseline) * 6 // 10])
    save("truncated-baseline-no-eoi.jpg", baseline[:-2])
    save("truncated-restart-40pct.jpg", restart[:len(restart) * 4 // 10])
    progressive = run(["cjpeg", "-progressive", "-quality", "85", paths["odd"]])
    save("progressive-no-eoi.jpg", progressive[:-2])


def report_psnr(ours, images):
    print(f"{'fixture':36} {'djpeg dB':>9} {'PIL dB':>9}")
    for name, (source, _) in ENCODER.items():
        path = os.path.join(ours, name + ".jpg")
        if not os.path.exists(path):
            continue
        reference = images[source]
        by_djpeg = djpeg_image(path)
        with Image.open(path) as opened:
            by_pil = opened.convert(by_djpeg.mode)
        if by_djpeg.mode != reference.mode:
            reference = reference.convert(by_djpeg.mode)
        print(f"{name:36} {psnr(reference, by_djpeg):9.2f} {psnr(reference, by_pil):9.2f}")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Regenerates the PNG/BMP/TIFF conformance corpus in ../TestData and the reference pixels for it.

Run with Debian's Python (needs python3-pil, python3-png, python3-tifffile, python3-numpy, libtiff-tools and
golang-1.19-src):   /usr/bin/python3 tests/Colorize.Imaging.Tests/reference/make_fixtures.py

Reference pixels come from decoders that are not ours: pypng (PNG, every bit depth), PIL (PNG <= 8 bit, BMP,
TIFF) and, for files this script writes, the very array it wrote. Where two references exist they are compared
here and the script stops if they disagree. The C# tests read only the output files; CI needs no Python.

Reference file format (<file>.ref.gz, gzip): b"CREF", uint32 width, uint32 height, uint8 channels (1, 3, 4),
uint8 bits per channel (8, 16), then the samples row-major interleaved, 16-bit samples little-endian. Channel
layouts are what our decoder returns: gray, RGB or RGBA (gray+alpha is RGBA with R=G=B).
"""
import gzip
import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
import png
import tifffile
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "TestData"))
GO = "/usr/share/go-1.19/src/image"
RNG = np.random.default_rng(20240531)


# ---------------------------------------------------------------- helpers
def write_ref(path, arr):
    """arr: HxW (gray) or HxWxC, dtype uint8 or uint16."""
    arr = np.asarray(arr)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    h, w, c = arr.shape
    assert c in (1, 3, 4), (path, arr.shape)
    bits = 16 if arr.dtype == np.uint16 else 8
    assert arr.dtype in (np.uint8, np.uint16), arr.dtype
    header = b"CREF" + struct.pack("<IIBB", w, h, c, bits)
    body = arr.astype("<u2" if bits == 16 else "u1").tobytes()
    with gzip.GzipFile(path + ".ref.gz", "wb", mtime=0) as f:
        f.write(header + body)


def synth(w, h, channels, bits, seed):
    """A deterministic test picture: gradients, a hard edge and noise, over the full value range."""
    rng = np.random.default_rng(seed)
    top = (1 << bits) - 1
    y, x = np.mgrid[0:h, 0:w]
    planes = []
    for ch in range(channels):
        base = (x * (ch + 1) * top // max(1, w - 1) + y * top // max(1, h - 1)) % (top + 1)
        noise = rng.integers(0, top + 1, size=(h, w))
        plane = np.where((x + y + ch) % 5 == 0, noise, base)
        plane[0, 0] = 0
        plane[-1, -1] = top
        planes.append(plane)
    arr = np.stack(planes, axis=-1).astype(np.uint16 if bits > 8 else np.uint8)
    return arr[:, :, 0] if channels == 1 else arr


def check_equal(name, ours, theirs):
    ours = np.asarray(ours)
    theirs = np.asarray(theirs)
    if ours.shape != theirs.shape or not np.array_equal(ours.astype(np.int64), theirs.astype(np.int64)):
        diff = "shape" if ours.shape != theirs.shape else int(np.abs(ours.astype(np.int64) - theirs.astype(np.int64)).max())
        sys.exit(f"reference decoders disagree on {name}: {ours.shape} vs {theirs.shape}, diff {diff}")


# ---------------------------------------------------------------- PNG
def png_expected(path):
    """The pixels our decoder must return, from pypng's raw decode (no sBIT scaling) plus tRNS/palette rules."""
    r = png.Reader(filename=path)
    w, h, rows, info = r.read()
    raw = np.vstack([np.asarray(row, dtype=np.uint32) for row in rows]).reshape(h, w, info["planes"])
    depth = info["bitdepth"]
    trns = info.get("transparent")
    if info.get("palette"):
        pal = info["palette"]
        has_alpha = any(len(e) == 4 for e in pal)
        table = np.zeros((256, 4), dtype=np.uint8)
        table[:, 3] = 255
        for i, e in enumerate(pal):
            table[i, : len(e)] = e
        out = table[raw[:, :, 0]]
        return out if has_alpha else out[:, :, :3]
    wide = depth == 16
    dtype = np.uint16 if wide else np.uint8
    scale = {1: 255, 2: 85, 4: 17, 8: 1, 16: 1}[depth]
    vals = (raw * scale).astype(dtype)
    if info["greyscale"]:
        g = vals[:, :, 0]
        if info["alpha"]:
            return np.stack([g, g, g, vals[:, :, 1]], axis=-1)
        if trns is not None:
            t = trns if np.isscalar(trns) else trns[0]
            a = np.where(raw[:, :, 0] == t, 0, (1 << (16 if wide else 8)) - 1).astype(dtype)
            return np.stack([g, g, g, a], axis=-1)
        return g
    if info["alpha"]:
        return vals
    if trns is not None:
        mask = np.all(raw == np.asarray(trns, dtype=np.uint32), axis=-1)
        a = np.where(mask, 0, (1 << (16 if wide else 8)) - 1).astype(dtype)
        return np.concatenate([vals, a[:, :, None]], axis=-1)
    return vals


def png_cross_check(path, expected):
    """PIL must agree: exactly for 8-bit results and 16-bit gray, on the high byte for other 16-bit results."""
    im = Image.open(path)
    im.load()
    exp = np.asarray(expected)
    if exp.ndim == 2 and exp.dtype == np.uint16:
        check_equal(path, exp, np.asarray(im))
        return
    if exp.dtype == np.uint16:
        if im.mode in ("I", "I;16", "I;16B"):
            return  # PIL keeps gray+tRNS 16-bit as I;16 without alpha; pypng's is the reference there.
        mode = {3: "RGB", 4: "RGBA"}[exp.shape[2]]
        if im.mode == "LA" or mode == im.mode or im.mode in ("RGB", "RGBA"):
            pil = np.asarray(im.convert(mode))
            # Colour only: PIL applies a 16-bit tRNS to its 8-bit samples, so its alpha is not a reference.
            check_equal(path, exp[:, :, :3] >> 8, pil[:, :, :3])
        return
    mode = "L" if exp.ndim == 2 else {3: "RGB", 4: "RGBA"}[exp.shape[2]]
    pil = np.asarray(im.convert(mode))
    if im.mode in ("1", "L") and "transparency" in im.info and png.Reader(filename=path).read()[3]["bitdepth"] < 8:
        # PIL 9.4 compares a 1/2/4-bit tRNS value against the scaled 8-bit samples, so its alpha is wrong there
        # (the specification compares raw samples, as pypng does). The colour channels must still agree.
        check_equal(path, exp[:, :, :3], pil[:, :, :3])
        return
    check_equal(path, exp, pil)


def write_png(name, arr, bitdepth, palette=None, transparent=None, interlace=False, greyscale=None, alpha=False, chunk_limit=2 ** 20):
    arr = np.asarray(arr)
    h, w = arr.shape[:2]
    planes = 1 if arr.ndim == 2 else arr.shape[2]
    if greyscale is None:
        greyscale = planes in (1, 2) and palette is None
    writer = png.Writer(w, h, bitdepth=bitdepth, palette=palette, transparent=transparent, interlace=interlace,
                        greyscale=greyscale, alpha=alpha, chunk_limit=chunk_limit, compression=9)
    path = os.path.join(DATA, "png", name)
    with open(path, "wb") as f:
        writer.write(f, arr.reshape(h, w * planes).tolist())
    return path


def make_png():
    out = os.path.join(DATA, "png")
    os.makedirs(out, exist_ok=True)
    suite = os.path.join(GO, "png", "testdata", "pngsuite")
    for name in sorted(os.listdir(suite)):
        if name.endswith(".png"):
            shutil.copy(os.path.join(suite, name), os.path.join(out, name))
    shutil.copy(os.path.join(suite, "README"), os.path.join(out, "PNGSUITE-LICENSE.txt"))
    for name in ["gray-gradient.png", "gray-gradient.interlaced.png", "benchRGB-interlace.png"]:
        shutil.copy(os.path.join(GO, "png", "testdata", name), os.path.join(out, "go-" + name))
    for name in ["video-001.png", "video-005.gray.png"]:
        shutil.copy(os.path.join(GO, "testdata", name), os.path.join(out, "go-" + name))

    # Our own variants: every depth, interlaced and not, tRNS everywhere it may appear, odd sizes, many IDATs.
    for depth in (1, 2, 4, 8, 16):
        g = synth(13, 11, 1, depth, depth)
        write_png(f"gen-g{depth}.png", g, depth)
        write_png(f"gen-g{depth}-i.png", g, depth, interlace=True)
        write_png(f"gen-g{depth}-trns.png", g, depth, transparent=int(g[2, 3]))
    for depth in (1, 2, 4, 8):
        n = 1 << depth
        pal = [(int(RNG.integers(256)), int(RNG.integers(256)), int(RNG.integers(256))) for _ in range(n)]
        idx = synth(17, 9, 1, depth, 40 + depth)
        write_png(f"gen-p{depth}.png", idx, depth, palette=pal)
        pal_a = [p + (int(RNG.integers(256)),) for p in pal[: max(1, n // 2)]] + pal[max(1, n // 2):]
        write_png(f"gen-p{depth}-trns-i.png", idx, depth, palette=pal_a, interlace=True)
    for depth in (8, 16):
        rgb = synth(19, 14, 3, depth, 50 + depth)
        write_png(f"gen-rgb{depth}.png", rgb, depth)
        write_png(f"gen-rgb{depth}-i.png", rgb, depth, interlace=True)
        write_png(f"gen-rgb{depth}-trns.png", rgb, depth, transparent=tuple(int(v) for v in rgb[1, 1]))
        write_png(f"gen-rgba{depth}.png", synth(21, 10, 4, depth, 60 + depth), depth, alpha=True)
        write_png(f"gen-rgba{depth}-i.png", synth(9, 21, 4, depth, 70 + depth), depth, alpha=True, interlace=True)
        write_png(f"gen-ga{depth}.png", synth(15, 12, 2, depth, 80 + depth), depth, alpha=True, greyscale=True)
        write_png(f"gen-ga{depth}-i.png", synth(15, 12, 2, depth, 90 + depth), depth, alpha=True, greyscale=True, interlace=True)
    write_png("gen-rgb8-many-idat.png", synth(64, 48, 3, 8, 99), 8, chunk_limit=97)
    write_png("gen-1x1-i.png", synth(1, 1, 3, 16, 5), 16, interlace=True)
    write_png("gen-g16-wide-i.png", synth(129, 3, 1, 16, 6), 16, interlace=True)
    # PIL as a second writer: 16-bit gray and an 8-bit photo-like RGB with its own filter choices.
    Image.fromarray(synth(33, 20, 1, 16, 7), mode="I;16").save(os.path.join(out, "pil-i16.png"))
    Image.fromarray(synth(40, 30, 3, 8, 8)).save(os.path.join(out, "pil-rgb.png"), optimize=True)

    count = 0
    for name in sorted(os.listdir(out)):
        if not name.endswith(".png"):
            continue
        path = os.path.join(out, name)
        if name.startswith("x") or name.startswith("invalid"):
            continue
        exp = png_expected(path)
        png_cross_check(path, exp)
        write_ref(path, exp)
        count += 1
    print(f"png: {count} files with references")

    bad = os.path.join(DATA, "invalid")
    os.makedirs(bad, exist_ok=True)
    for name in ["invalid-crc32.png", "invalid-noend.png", "invalid-zlib.png", "invalid-palette.png"]:
        shutil.copy(os.path.join(GO, "png", "testdata", name), os.path.join(bad, "go-" + name))


# ---------------------------------------------------------------- BMP
def bmp_file(width, height, bpp, pixel_rows, palette=None, compression=0, masks=None, top_down=False, header_size=40):
    """Writes a BMP by hand, for the variants PIL cannot write (4-bit, RLE, 16-bit, bitfields, V5, top-down)."""
    pal = b"".join(bytes((b, g, r, 0)) for (r, g, b) in (palette or []))
    data = pixel_rows
    extra = b""
    if header_size == 40 and masks is not None:
        extra = struct.pack("<III", *masks[:3])
    info = struct.pack("<IiiHHIIiiII", header_size, width, -height if top_down else height, 1, bpp, compression,
                       len(data), 2835, 2835, len(palette or []), 0)
    if header_size > 40:
        m = list(masks or (0, 0, 0, 0)) + [0] * 4
        info += struct.pack("<IIII", m[0], m[1], m[2], m[3]) + b"BGRs" + bytes(36) + bytes(12)
        if header_size == 124:
            info += struct.pack("<IIII", 4, 0, 0, 0)
        info = info[:header_size]
    offset = 14 + len(info) + len(extra) + len(pal)
    head = b"BM" + struct.pack("<IHHI", offset + len(data), 0, 0, offset)
    return head + info + extra + pal + data


def pack_rows(idx, bpp, bottom_up=True):
    h, w = idx.shape
    rows = []
    for y in (range(h - 1, -1, -1) if bottom_up else range(h)):
        if bpp >= 8:
            row = idx[y].astype(np.uint8).tobytes() if bpp == 8 else idx[y].tobytes()
        else:
            per = 8 // bpp
            vals = list(idx[y]) + [0] * ((-w) % per)
            row = bytes(sum(int(vals[i + k]) << (8 - bpp * (k + 1)) for k in range(per)) for i in range(0, len(vals), per))
        row += bytes((-len(row)) % 4)
        rows.append(row)
    return b"".join(rows)


def rle_encode(idx, bpp):
    """RLE8/RLE4 with encoded runs and absolute runs, bottom-up, end-of-line and end-of-bitmap markers."""
    h, w = idx.shape
    out = bytearray()
    for y in range(h - 1, -1, -1):
        row = [int(v) for v in idx[y]]
        x = 0
        while x < w:
            run = 1
            while x + run < w and run < 255 and row[x + run] == row[x]:
                run += 1
            if run >= 3 or w - x < 3:
                value = row[x] if bpp == 8 else (row[x] << 4) | row[x]
                out += bytes((run, value))
                x += run
            else:
                n = min(w - x, 20)
                lit = row[x:x + n]
                if bpp == 8:
                    body = bytes(lit)
                else:
                    lit2 = lit + [0] * (n % 2)
                    body = bytes((lit2[i] << 4) | lit2[i + 1] for i in range(0, len(lit2), 2))
                out += bytes((0, n)) + body + bytes(len(body) % 2)
                x += n
        out += bytes((0, 0))
    out += bytes((0, 1))
    return bytes(out)


def make_bmp():
    out = os.path.join(DATA, "bmp")
    os.makedirs(out, exist_ok=True)
    rgb = synth(23, 13, 3, 8, 200)
    Image.fromarray(rgb).save(os.path.join(out, "pil-rgb24.bmp"))
    Image.fromarray(synth(20, 9, 1, 8, 201)).save(os.path.join(out, "pil-gray8.bmp"))
    Image.fromarray(rgb).convert("P", palette=Image.ADAPTIVE, colors=200).save(os.path.join(out, "pil-pal8.bmp"))
    Image.fromarray(synth(21, 7, 1, 8, 202)).convert("1").save(os.path.join(out, "pil-1bit.bmp"))
    pal16 = [tuple(int(v) for v in RNG.integers(0, 256, 3)) for _ in range(16)]
    idx4 = synth(15, 9, 1, 4, 203)
    files = {
        "hand-pal4.bmp": bmp_file(15, 9, 4, pack_rows(idx4, 4), palette=pal16),
        "hand-pal4-topdown.bmp": bmp_file(15, 9, 4, pack_rows(idx4, 4, bottom_up=False), palette=pal16, top_down=True),
        "hand-rle4.bmp": bmp_file(15, 9, 4, rle_encode(idx4, 4), palette=pal16, compression=2),
    }
    pal256 = [tuple(int(v) for v in RNG.integers(0, 256, 3)) for _ in range(256)]
    idx8 = synth(30, 12, 1, 8, 204)
    idx8[3:6, :] = 7  # long runs for the encoder
    files["hand-rle8.bmp"] = bmp_file(30, 12, 8, rle_encode(idx8, 8), palette=pal256, compression=1)
    files["hand-pal8-topdown.bmp"] = bmp_file(30, 12, 8, pack_rows(idx8, 8, bottom_up=False), palette=pal256, top_down=True)
    v16 = synth(11, 6, 1, 16, 205)
    files["hand-rgb555.bmp"] = bmp_file(11, 6, 16, pack_rows(v16 & 0x7FFF, 16))
    files["hand-rgb565-bitfields.bmp"] = bmp_file(11, 6, 16, pack_rows(v16, 16), compression=3, masks=(0xF800, 0x07E0, 0x001F))
    bgra = synth(12, 8, 4, 8, 206)
    rows32 = pack_rows(bgra.view(np.uint32)[:, :, 0], 32)
    files["hand-bgrx32.bmp"] = bmp_file(12, 8, 32, rows32)
    files["hand-bgra32-v5.bmp"] = bmp_file(12, 8, 32, rows32, compression=3, masks=(0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000), header_size=124)
    files["hand-bgra32-v4-topdown.bmp"] = bmp_file(12, 8, 32, pack_rows(bgra.view(np.uint32)[:, :, 0], 32, bottom_up=False), compression=3, masks=(0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000), header_size=108, top_down=True)
    rows24 = pack_rows(np.ascontiguousarray(rgb[:, :, ::-1]).reshape(13, 23 * 3), 8)
    files["hand-rgb24-topdown.bmp"] = bmp_file(23, 13, 24, pack_rows(np.ascontiguousarray(rgb[:, :, ::-1]).reshape(13, 69), 8, bottom_up=False), top_down=True)
    files["hand-rgb24.bmp"] = bmp_file(23, 13, 24, rows24)
    for name, blob in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(blob)

    # PIL 9.4 misreads an RLE4 literal run of odd length that ends a row (it drops the last nibble), so that
    # file's reference is the array the script encoded; elsewhere PIL and the truth agree.
    truth = {"hand-rle4.bmp": np.asarray(pal16, dtype=np.uint8)[idx4]}

    count = 0
    for name in sorted(os.listdir(out)):
        path = os.path.join(out, name)
        if name in truth:
            write_ref(path, truth[name])
            count += 1
            continue
        im = Image.open(path)
        im.load()
        # Our BMP decoder returns gray for 1/8-bit files whose palette is gray, RGBA when the file has an alpha mask, else RGB.
        if im.mode == "P" and all(im.getpalette()[i * 3] == im.getpalette()[i * 3 + 1] == im.getpalette()[i * 3 + 2] for i in range(len(im.getpalette()) // 3)):
            exp = np.asarray(im.convert("L"))
        elif im.mode in ("1", "L"):
            exp = np.asarray(im.convert("L"))
        elif im.mode == "RGBA":
            exp = np.asarray(im)
        else:
            exp = np.asarray(im.convert("RGB"))
        write_ref(path, exp)
        count += 1
    print(f"bmp: {count} files with references")


# ---------------------------------------------------------------- TIFF
def tiffcp(src, dst, *args):
    subprocess.run(["tiffcp", *args, src, dst], check=True)


def patch_compression(path, old, new):
    """Rewrites the Compression tag value in every IFD (for 32946, the old Deflate code no tool writes now)."""
    blob = bytearray(open(path, "rb").read())
    e = "<" if blob[:2] == b"II" else ">"
    off = struct.unpack(e + "I", blob[4:8])[0]
    while off:
        n = struct.unpack(e + "H", blob[off:off + 2])[0]
        for i in range(n):
            p = off + 2 + 12 * i
            tag, typ, cnt = struct.unpack(e + "HHI", blob[p:p + 8])
            if tag == 259:
                val = struct.unpack(e + "H", blob[p + 8:p + 10])[0]
                assert val == old, val
                blob[p + 8:p + 10] = struct.pack(e + "H", new)
        off = struct.unpack(e + "I", blob[off + 2 + 12 * n: off + 6 + 12 * n])[0]
    open(path, "wb").write(bytes(blob))


def make_tiff():
    out = os.path.join(DATA, "tiff")
    os.makedirs(out, exist_ok=True)
    tmp = tempfile.mkdtemp()
    expected = {}

    sources = {
        "g8": synth(37, 29, 1, 8, 300),
        "g16": synth(37, 29, 1, 16, 301),
        "rgb8": synth(41, 27, 3, 8, 302),
        "rgb16": synth(41, 27, 3, 16, 303),
        "rgba8": synth(33, 19, 4, 8, 304),
        "rgba16": synth(33, 19, 4, 16, 305),
    }
    base = {}
    for key, arr in sources.items():
        path = os.path.join(tmp, key + ".tif")
        photometric = "minisblack" if arr.ndim == 2 else "rgb"
        extras = {"extrasamples": [2]} if arr.ndim == 3 and arr.shape[2] == 4 else {}
        tifffile.imwrite(path, arr, photometric=photometric, rowsperstrip=5, **extras)
        base[key] = path

    variants = {
        "none": [], "lzw": ["-c", "lzw"], "lzw-pred": ["-c", "lzw:2"], "zip": ["-c", "zip"], "zip-pred": ["-c", "zip:2"],
        "packbits": ["-c", "packbits"],
    }
    for key, path in base.items():
        arr = sources[key]
        for vname, args in variants.items():
            if key.endswith("16") and vname == "packbits":
                continue
            for order in ("L", "B"):
                name = f"{key}-{vname}-{order.lower()}e.tif"
                tiffcp(path, os.path.join(out, name), *args, "-" + order, "-r", "7")
                expected[name] = arr
        tiffcp(path, os.path.join(out, f"{key}-lzw-tiles.tif"), "-c", "lzw:2", "-t", "-w", "16", "-l", "16")
        expected[f"{key}-lzw-tiles.tif"] = arr
        tiffcp(path, os.path.join(out, f"{key}-zip-tiles-be.tif"), "-c", "zip", "-t", "-w", "32", "-l", "16", "-B")
        expected[f"{key}-zip-tiles-be.tif"] = arr
        if arr.ndim == 3:
            # Planar configuration 2 (one plane per channel); tiffcp converts only 8-bit, tifffile writes any.
            extras = {"extrasamples": [2]} if arr.shape[2] == 4 else {}
            planes = np.ascontiguousarray(np.moveaxis(arr, -1, 0))
            tifffile.imwrite(os.path.join(out, f"{key}-planar-zip.tif"), planes, photometric="rgb", planarconfig="separate",
                             compression="zlib", rowsperstrip=6, **extras)
            expected[f"{key}-planar-zip.tif"] = arr
            tifffile.imwrite(os.path.join(out, f"{key}-planar-tiles.tif"), planes, photometric="rgb", planarconfig="separate",
                             tile=(16, 16), **extras)
            expected[f"{key}-planar-tiles.tif"] = arr
            if arr.dtype == np.uint8:
                tiffcp(path, os.path.join(out, f"{key}-planar-lzw.tif"), "-p", "separate", "-c", "lzw:2", "-r", "4")
                expected[f"{key}-planar-lzw.tif"] = arr
        single = os.path.join(out, f"{key}-deflate32946-onestrip.tif")
        tiffcp(path, single, "-c", "zip", "-r", "100000")
        patch_compression(single, 8, 32946)
        expected[f"{key}-deflate32946-onestrip.tif"] = arr

    # MinIsWhite (scanners, fax): stored inverted; readers return the inverted values as ordinary gray.
    for bits in (8, 16):
        arr = sources[f"g{bits}"]
        name = f"g{bits}-miniswhite.tif"
        tifffile.imwrite(os.path.join(out, name), ((1 << bits) - 1 - arr.astype(np.int64)).astype(arr.dtype), photometric="miniswhite", rowsperstrip=8)
        expected[name] = arr
    # PIL as another writer (through libtiff): what many tools produce.
    pil_src = sources["rgb8"]
    for comp in ("tiff_lzw", "tiff_adobe_deflate", "packbits", "raw"):
        name = f"pil-rgb8-{comp}.tif"
        Image.fromarray(pil_src).save(os.path.join(out, name), compression=comp)
        expected[name] = pil_src
    Image.fromarray(sources["g8"]).save(os.path.join(out, "pil-g8-lzw.tif"), compression="tiff_lzw")
    expected["pil-g8-lzw.tif"] = sources["g8"]
    bw = (sources["g8"] > 127).astype(np.uint8) * 255
    Image.fromarray(bw).convert("1").save(os.path.join(out, "pil-bilevel-packbits.tif"), compression="packbits")
    expected["pil-bilevel-packbits.tif"] = bw

    for name, arr in sorted(expected.items()):
        path = os.path.join(out, name)
        # Second opinion: PIL for 8-bit and 16-bit gray (exact), high byte for 16-bit colour (PIL keeps 8 bits).
        im = Image.open(path)
        im.load()
        a = np.asarray(arr)
        if a.dtype == np.uint8:
            mode = "L" if a.ndim == 2 else {3: "RGB", 4: "RGBA"}[a.shape[2]]
            check_equal(name, a, np.asarray(im.convert(mode)))
        elif a.ndim == 2 and "miniswhite" not in name:
            # (PIL 9.4 does not invert 16-bit MinIsWhite; that file's reference is the array written.)
            check_equal(name, a, np.asarray(im).astype(np.uint16))
        write_ref(path, arr)
    shutil.rmtree(tmp)
    print(f"tiff: {len(expected)} files with references")


if __name__ == "__main__":
    which = sys.argv[1:] or ["png", "bmp", "tiff"]
    for fmt in which:
        folder = os.path.join(DATA, fmt)
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        {"png": make_png, "bmp": make_bmp, "tiff": make_tiff}[fmt]()

#!/usr/bin/python3
"""Writes the reference fixtures for the colour-space and resampling tests.

Run with Debian's Python (it has numpy, scikit-image, Pillow and PyTorch):

    /usr/bin/python3 tests/Colorize.Imaging.Tests/reference/color/make_references.py

References come from skimage.color (Lab, XYZ, studio-range YCbCr), PIL (JFIF YCbCr, Image.resize in modes
F, L, RGB, RGBa and I) and torch.nn.functional.interpolate. Fixed seeds: re-running gives identical files.

File format (read by ReferenceFixture.cs): gzip of b"CFX1" followed by records
    u16 name length, name (ASCII), u8 dtype ('f' float32, 'B' uint8, 'H' uint16, 'i' int32),
    u8 ndim, ndim x i32 shape, data (little-endian, C order).
"""
import gzip
import os
import struct
import warnings

import numpy as np
import skimage
import skimage.color as sc
import PIL
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = {np.dtype(np.float32): b"f", np.dtype(np.uint8): b"B", np.dtype(np.uint16): b"H", np.dtype(np.int32): b"i"}


def write_fixture(name, arrays):
    out = bytearray(b"CFX1")
    for key, arr in arrays.items():
        arr = np.ascontiguousarray(arr)
        code = DTYPES[arr.dtype]
        kb = key.encode("ascii")
        out += struct.pack("<H", len(kb)) + kb + code + struct.pack("<B", arr.ndim)
        out += struct.pack("<%di" % arr.ndim, *arr.shape)
        out += arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
    path = os.path.join(HERE, name)
    # mtime=0 keeps the file byte-identical between runs.
    with open(path, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(bytes(out))
    print(f"{name}: {os.path.getsize(path)} bytes, {len(arrays)} arrays")


def f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32)


def colour_fixture():
    rng = np.random.default_rng(20240603)
    a = {}

    # 8-bit sRGB: corners of the cube, primaries, greys around the 0.04045 knee (10.3/255), random colours.
    edges8 = [(0, 0, 0), (255, 255, 255), (255, 0, 0), (0, 255, 0), (0, 0, 255), (0, 255, 255), (255, 0, 255),
              (255, 255, 0), (1, 1, 1), (10, 10, 10), (11, 11, 11), (128, 128, 128), (254, 254, 254), (1, 0, 0),
              (0, 0, 1), (10, 11, 12), (255, 254, 0)]
    rgb8 = np.concatenate([np.array(edges8, np.uint8), rng.integers(0, 256, (1000, 3), dtype=np.uint8)])
    a["rgb8"] = rgb8
    a["lab_of_rgb8"] = f32(sc.rgb2lab(rgb8[None]))[0]

    edges16 = [(0, 0, 0), (65535, 65535, 65535), (65535, 0, 0), (0, 65535, 0), (0, 0, 65535), (1, 1, 1),
               (2650, 2650, 2650), (2651, 2651, 2651), (32768, 32768, 32768), (65534, 0, 1)]
    rgb16 = np.concatenate([np.array(edges16, np.uint16), rng.integers(0, 65536, (1000, 3), dtype=np.uint16)])
    a["rgb16"] = rgb16
    a["lab_of_rgb16"] = f32(sc.rgb2lab(rgb16[None]))[0]

    # Float sRGB in 0..1, plus a few values outside (skimage converts them without clipping).
    rgbf = np.concatenate([rng.random((1000, 3)),
                           np.array([[0, 0, 0], [1, 1, 1], [0.04045, 0.04045, 0.04045], [0.0405, 0.04, 0.5],
                                     [-0.05, 0.5, 1.1], [1.2, -0.01, 0.3]])])
    rgbf = rgbf.astype(np.float32).astype(np.float64)  # the test feeds float32, so the reference sees the same inputs
    a["rgbf"] = f32(rgbf)
    a["lab_of_rgbf"] = f32(sc.rgb2lab(rgbf[None]))[0]
    xyz = sc.rgb2xyz(rgbf[None])[0]
    a["xyz_of_rgbf"] = f32(xyz)
    a["lab_of_xyz"] = f32(sc.xyz2lab(xyz[None]))[0]

    # Lab, inside and far outside the sRGB gamut; some with f(Z) < 0 (skimage sets it to 0 and warns).
    edgesl = [(0, 0, 0), (100, 0, 0), (50, 0, 0), (8, 0, 0), (7.9996, 0, 0), (0, 100, 0), (100, -128, 128),
              (53.24, 80.09, 67.2), (87.73, -86.18, 83.18), (32.3, 79.19, -107.86), (0, 0, 60), (20, 0, 150),
              (60, 200, -200), (-5, 0, 0), (105, 0, 0), (50, -300, 300)]
    labs = np.concatenate([np.array(edgesl, np.float64),
                           np.stack([rng.uniform(-5, 105, 1500), rng.uniform(-140, 140, 1500), rng.uniform(-140, 140, 1500)], 1)])
    labs = labs.astype(np.float32).astype(np.float64)
    a["lab"] = f32(labs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a["rgb_of_lab"] = f32(sc.lab2rgb(labs[None]))[0]
        a["xyz_of_lab"] = f32(sc.lab2xyz(labs[None]))[0]
        # XYZ inputs for xyz2rgb: the same colours, rounded to float32 as the test feeds them.
        xyzq = sc.lab2xyz(labs[None])[0].astype(np.float32).astype(np.float64)
    a["xyz_in"] = f32(xyzq)
    a["rgb_of_xyz"] = f32(sc.xyz2rgb(xyzq[None]))[0]

    # Grey levels through the colour formula (r = g = b).
    g8 = np.arange(256, dtype=np.uint8)
    a["lab_of_gray8"] = f32(sc.rgb2lab(np.repeat(g8[:, None], 3, 1)[None]))[0]
    g16 = np.concatenate([np.arange(0, 65536, 257), rng.integers(0, 65536, 200), [1, 2, 2650, 2651, 65534]]).astype(np.uint16)
    a["gray16"] = g16
    a["lab_of_gray16"] = f32(sc.rgb2lab(np.repeat(g16[:, None], 3, 1)[None]))[0]

    # YCbCr: studio range from skimage (RGB 0..1 in, Y 16..235 out), full range (JFIF) from PIL's integer code.
    a["ycbcr_studio_of_rgbf"] = f32(sc.rgb2ycbcr(rgbf[None]))[0]
    ycc = np.stack([rng.uniform(16, 235, 1000), rng.uniform(16, 240, 1000), rng.uniform(16, 240, 1000)], 1)
    ycc = ycc.astype(np.float32).astype(np.float64)
    a["ycbcr_studio"] = f32(ycc)
    a["rgbf_of_ycbcr_studio"] = f32(sc.ycbcr2rgb(ycc[None]))[0]
    img = Image.frombytes("RGB", (rgb8.shape[0], 1), rgb8.tobytes())
    a["ycbcr_jfif_pil_of_rgb8"] = np.asarray(img.convert("YCbCr"), dtype=np.uint8)[0]
    yccb = rng.integers(0, 256, (3000, 3), dtype=np.uint8)
    a["ycbcr_jfif_bytes"] = yccb
    a["rgb8_pil_of_ycbcr_jfif"] = np.asarray(Image.frombytes("YCbCr", (3000, 1), yccb.tobytes()).convert("RGB"), dtype=np.uint8)[0]

    write_fixture("colour.bin.gz", a)


FILTERS = {"box": Image.BOX, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "lanczos3": Image.LANCZOS}


def resample_fixture():
    rng = np.random.default_rng(7)
    a = {}
    h, w = 29, 41
    yy, xx = np.mgrid[0:h, 0:w]
    smooth = 127.5 + 100 * np.sin(xx / 5.0) * np.cos(yy / 7.0)
    # A smooth picture plus noise plus a hard edge: every filter's lobes show up somewhere.
    src8 = np.clip(smooth + rng.normal(0, 25, (h, w)) + np.where(xx > 25, 60, -60), 0, 255).astype(np.uint8)
    rgb8 = np.clip(np.stack([smooth, 255 - smooth, smooth[::-1]], -1) + rng.normal(0, 30, (h, w, 3)), 0, 255).astype(np.uint8)
    rgba8 = np.concatenate([rgb8, rng.integers(0, 256, (h, w, 1), dtype=np.uint8)], -1)
    src16 = np.clip(smooth * 257 + rng.normal(0, 6000, (h, w)), 0, 65535).astype(np.uint16)
    a["src8"] = src8
    a["rgb8"] = rgb8
    a["rgba8"] = rgba8
    a["src16"] = src16
    # Shrink, strong shrink, enlarge, mixed, one axis only (each way), degenerate sizes.
    sizes = [(17, 11), (5, 4), (67, 35), (60, 13), (41, 50), (20, 29), (1, 1), (2, 3)]
    for fname, f in FILTERS.items():
        for (ow, oh) in sizes:
            tag = f"{fname}_{ow}x{oh}"
            a["F_" + tag] = np.asarray(Image.fromarray(src8.astype(np.float32), "F").resize((ow, oh), f), dtype=np.float32)
            a["L_" + tag] = np.asarray(Image.fromarray(src8, "L").resize((ow, oh), f), dtype=np.uint8)
            if (ow, oh) not in [(17, 11), (67, 35), (41, 50)]:
                continue
            a["RGB_" + tag] = np.asarray(Image.fromarray(rgb8, "RGB").resize((ow, oh), f), dtype=np.uint8)
            rgba_img = Image.frombytes("RGBa", (w, h), rgba8.tobytes())
            a["RGBa_" + tag] = np.frombuffer(rgba_img.resize((ow, oh), f).tobytes(), np.uint8).reshape(oh, ow, 4)
            # Straight RGBA: PIL premultiplies (RGBA -> RGBa), resizes, and unpremultiplies.
            a["RGBA_" + tag] = np.asarray(Image.fromarray(rgba8, "RGBA").resize((ow, oh), f), dtype=np.uint8)
            a["I_" + tag] = np.clip(np.asarray(Image.fromarray(src16.astype(np.int32), "I").resize((ow, oh), f)), 0, 65535).astype(np.uint16)

    # A large shrink ratio (8x), where the stretched filters have 17-49 taps.
    big = np.clip(127.5 + 120 * np.sin(np.mgrid[0:120, 0:160][1] / 3.0) + rng.normal(0, 20, (120, 160)), 0, 255).astype(np.uint8)
    a["big8"] = big
    for fname, f in FILTERS.items():
        a["Fbig_" + fname] = np.asarray(Image.fromarray(big.astype(np.float32), "F").resize((20, 15), f), dtype=np.float32)
        a["Lbig_" + fname] = np.asarray(Image.fromarray(big, "L").resize((20, 15), f), dtype=np.uint8)

    write_fixture("resample.bin.gz", a)


def torch_fixture():
    import torch
    import torch.nn.functional as F
    rng = np.random.default_rng(11)
    a = {}
    ab = rng.uniform(-110, 110, (2, 13, 17)).astype(np.float32)
    a["ab"] = ab
    t = torch.from_numpy(ab)[None]
    for (ow, oh) in [(61, 50), (68, 52), (17, 13), (100, 40), (7, 5), (17, 40), (1, 1), (90, 60)]:
        out = F.interpolate(t, size=(oh, ow), mode="bilinear", align_corners=False, antialias=False)[0].numpy()
        a[f"up_{ow}x{oh}"] = out.astype(np.float32)
    write_fixture("torch_bilinear.bin.gz", a)
    return torch.__version__


if __name__ == "__main__":
    print("numpy", np.__version__, "skimage", skimage.__version__, "PIL", PIL.__version__)
    colour_fixture()
    resample_fixture()
    try:
        print("torch", torch_fixture())
    except ImportError:
        print("torch not installed: torch_bilinear.bin.gz not regenerated")

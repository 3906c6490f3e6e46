#!/usr/bin/python3
"""Writes the safetensors test fixtures from PyTorch, and checks a file written by the C# writer.

Run with Debian's Python, which has python3-torch and python3-numpy:

    /usr/bin/python3 generate_fixtures.py            # (re)writes the *.safetensors fixtures next to this script
    /usr/bin/python3 generate_fixtures.py --check F  # parses F independently and checks it against PyTorch

The `safetensors` Python package is not installable here, so files are written by `write_like_reference`, a
few-line transcription of the reference writer (huggingface/safetensors, `tensor.rs: prepare/serialize`):
tensors sorted by descending dtype (the reference's Dtype enum order) then by UTF-8 name, packed back to back;
the header is compact JSON (`__metadata__` first, then tensors in data order, keys dtype/shape/data_offsets),
non-ASCII left raw, padded with spaces to a multiple of 8 bytes. All numeric content (F16/BF16 rounding, the
float32 value of every dtype) comes from PyTorch (or NumPy for the unsigned types PyTorch 1.13 lacks).

Fixtures (all little-endian, all small):
  rounding.safetensors          float32 inputs and PyTorch's .half() / .bfloat16() of them; F16 and BF16 bit
                                patterns and PyTorch's .float() of them.
  dtypes.safetensors            one tensor per dtype and, for each, `<name>.f32` = its float32 value per PyTorch/NumPy;
                                I64 extremes and a scalar `bn.num_batches_tracked`; metadata {"format": "pt"}.
  reference_layout.safetensors  a small model-like file (every writable dtype, awkward names, metadata) laid out
                                like the reference writer; the C# writer must reproduce it byte for byte.
  reference_layout_inputs.safetensors  the float32 values the F16/BF16 tensors above were rounded from.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))

# The reference's Dtype enum, in declaration ("increasing alignment") order, with element sizes.
DTYPE_ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64",
               "I64", "U64"]
DTYPE_SIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
              "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8}
TORCH_DTYPE = {torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8", torch.int16: "I16", torch.float16: "F16",
               torch.bfloat16: "BF16", torch.int32: "I32", torch.float32: "F32", torch.float64: "F64",
               torch.int64: "I64"}
NUMPY_DTYPE = {np.dtype(np.uint16): "U16", np.dtype(np.uint32): "U32", np.dtype(np.uint64): "U64"}


def raw(t):
    """(dtype name, shape, little-endian bytes) of a torch tensor or numpy array."""
    if isinstance(t, np.ndarray):
        return NUMPY_DTYPE[t.dtype], list(t.shape), t.astype(t.dtype.newbyteorder("<")).tobytes()
    t = t.contiguous()
    if t.dtype in (torch.float16, torch.bfloat16):
        data = t.view(torch.int16).numpy().astype("<i2").tobytes()
    else:
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
    return TORCH_DTYPE[t.dtype], list(t.shape), data


def write_like_reference(path, tensors, metadata=None):
    """Writes {name: tensor} the way safetensors' serialize_to_file does (metadata keys sorted, see module doc)."""
    items = [(name,) + raw(t) for name, t in tensors.items()]
    items.sort(key=lambda it: (-DTYPE_ORDER.index(it[1]), it[0].encode("utf-8")))
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = {k: metadata[k] for k in sorted(metadata, key=lambda k: k.encode("utf-8"))}
    for name, dtype, shape, data in items:
        assert len(data) == int(np.prod(shape, dtype=np.int64)) * DTYPE_SIZE[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for item in items:
            f.write(item[3])


def f32_from_bits(bits):
    return torch.from_numpy(np.asarray(bits, dtype=np.uint32).view(np.float32).copy())


def bits_of(t):
    return t.contiguous().numpy().view(np.uint32 if t.dtype == torch.float32 else np.uint16)


def rounding_inputs(rng, mantissa_bits, min_exp, max_exp, count):
    """Float32 values around every kind of rounding boundary of a format with `mantissa_bits` explicit bits."""
    specials = [0.0, -0.0, float("inf"), float("-inf"), 1.0, -1.0, 65504.0, 65519.99609375, 65520.0, 65536.0, 1e10,
                -1e10, 2.0 ** -14, 2.0 ** -24, 2.0 ** -25, 3 * 2.0 ** -25, 2.0 ** -26, 6.0e-8, 3.4028234663852886e38,
                1.1754943508222875e-38, 1e-45, 1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11, 1.0 + 2.0 ** -8,
                1.0 + 3 * 2.0 ** -8, 0.1, 1.0 / 3.0]
    nans = np.array([0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001, 0x7FFFE000, 0x7FFFFFFF, 0xFFA00000],
                    dtype=np.uint32).view(np.float32)
    values = np.concatenate([np.array(specials, dtype=np.float32), nans])
    # Exact midpoints between neighbours of the narrow format (ties), and one float32 ulp either side of them.
    exps = rng.integers(min_exp, max_exp, count)
    mants = rng.integers(0, 1 << mantissa_bits, count)
    base = (1.0 + mants / float(1 << mantissa_bits)) * np.exp2(exps.astype(np.float64))
    ties = (base + np.exp2(exps - mantissa_bits - 1.0)).astype(np.float32)
    signs = np.where(rng.random(count) < 0.5, -1.0, 1.0).astype(np.float32)
    ties *= signs
    up = np.nextafter(ties, np.float32(np.inf))
    down = np.nextafter(ties, np.float32(-np.inf))
    # Random bit patterns over the whole float32 range (NaNs, subnormals, huge values included).
    anything = rng.integers(0, 1 << 32, count, dtype=np.uint64).astype(np.uint32).view(np.float32)
    return np.concatenate([values, ties, up, down, anything]).astype(np.float32)


def make_rounding(rng):
    f16_in = torch.from_numpy(rounding_inputs(rng, 10, -26, 17, 600))
    bf16_in = torch.from_numpy(rounding_inputs(rng, 7, -135, 128, 600))
    f16_bits = np.concatenate([[0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x7BFF, 0x7C00, 0xFC00, 0x7C01, 0x7E00,
                                0xFE00, 0x7FFF, 0x3C00, 0xBC00, 0x3555],
                               rng.integers(0, 1 << 16, 2000)]).astype(np.uint16)
    bf16_bits = np.concatenate([[0x0000, 0x8000, 0x0001, 0x007F, 0x0080, 0x7F7F, 0x7F80, 0xFF80, 0x7F81, 0x7FC0,
                                 0xFFFF, 0x3F80, 0xBF80],
                                rng.integers(0, 1 << 16, 2000)]).astype(np.uint16)
    f16 = torch.from_numpy(f16_bits.view(np.int16).copy()).view(torch.float16)
    bf16 = torch.from_numpy(bf16_bits.view(np.int16).copy()).view(torch.bfloat16)
    write_like_reference(os.path.join(HERE, "rounding.safetensors"), {
        "f16.input": f16_in, "f16.torch": f16_in.half(),
        "bf16.input": bf16_in, "bf16.torch": bf16_in.bfloat16(),
        "f16.bits": f16, "f16.bits.f32": f16.float(),
        "bf16.bits": bf16, "bf16.bits.f32": bf16.float(),
    })


def make_dtypes(rng):
    i64 = torch.tensor([0, 1, -1, 2 ** 24 + 1, 2 ** 53 + 1, -(2 ** 53 + 1), 2 ** 62 + 2 ** 38 + 1,
                        -(2 ** 63), 2 ** 63 - 1, 12345678901234567], dtype=torch.int64)
    i32 = torch.tensor([0, -1, 2 ** 24 + 1, 2 ** 24 + 3, -(2 ** 31), 2 ** 31 - 1], dtype=torch.int32)
    f64 = torch.from_numpy(np.concatenate([
        [0.0, -0.0, 1e-320, 1e-46, -1e-40, 1e39, -1e300, float("inf"), float("nan"), 1.0 + 2.0 ** -24,
         1.0 + 3 * 2.0 ** -24, 0.1, 3.4028235677973366e38],
        rng.standard_normal(40) * 10.0 ** rng.integers(-40, 40, 40)]))
    f16 = torch.from_numpy(rng.integers(0, 1 << 16, 24).astype(np.uint16).view(np.int16)).view(torch.float16)
    bf16 = torch.from_numpy(rng.integers(0, 1 << 16, 24).astype(np.uint16).view(np.int16)).view(torch.bfloat16)
    tensors = {
        "t.bool": torch.tensor([[True, False, True], [False, False, True]]),
        "t.u8": torch.arange(256, dtype=torch.uint8).reshape(16, 16),
        "t.i8": torch.arange(-128, 128, dtype=torch.int16).to(torch.int8).reshape(2, 128),
        "t.i16": torch.tensor([-32768, -1, 0, 1, 32767], dtype=torch.int16),
        "t.f16": f16.reshape(2, 3, 4),
        "t.bf16": bf16.reshape(4, 6),
        "t.i32": i32,
        "t.f32": torch.from_numpy(rng.standard_normal((3, 5)).astype(np.float32)),
        "t.f64": f64,
        "t.i64": i64,
        "t.empty": torch.zeros((0, 3), dtype=torch.float32),
        "t.scalar": torch.tensor(2.5, dtype=torch.float32),
        "bn.num_batches_tracked": torch.tensor(1234567, dtype=torch.int64),
    }
    # PyTorch 1.13 has no uint16/32/64: NumPy makes them and their float32 values.
    unsigned = {
        "t.u16": np.array([0, 1, 65535, 40000], dtype=np.uint16),
        "t.u32": np.array([0, 1, 2 ** 32 - 1, 2 ** 24 + 1, 3000000001], dtype=np.uint32),
        "t.u64": np.array([0, 1, 2 ** 64 - 1, 2 ** 63 + 2 ** 39 + 1, 2 ** 53 + 1], dtype=np.uint64),
    }
    all_tensors = dict(tensors)
    for name, t in tensors.items():
        all_tensors[name + ".f32"] = t.float()
    for name, a in unsigned.items():
        all_tensors[name] = a
        all_tensors[name + ".f32"] = torch.from_numpy(a.astype(np.float32))
    write_like_reference(os.path.join(HERE, "dtypes.safetensors"), all_tensors, {"format": "pt"})


def reference_layout_tensors():
    g = torch.Generator().manual_seed(7)
    sources = {
        "conv.weight": torch.randn(4, 3, 3, 3, generator=g),
        "conv.bias": torch.randn(4, generator=g),
        "bn.weight": torch.rand(4, generator=g) + 0.5,
        "up.0.weight": torch.randn(2, 4, 2, 2, generator=g) * 100,
        "gamma": torch.tensor(0.0),
        "ünïcode.wéight": torch.randn(3, generator=g),
        "we\"ird\\name\n\t\x01/<tag>": torch.randn(2, 2, generator=g),
        "emoji.🎨": torch.randn(5, generator=g),
        "half.a": torch.randn(7, generator=g) * 1000,
        "half.b": torch.randn(3, 3, generator=g) * 1e-5,
        "brain.a": torch.randn(6, generator=g) * 1e30,
        "brain.Z": torch.randn(1, 5, generator=g),
    }
    tensors = dict(sources)
    tensors["half.a"] = sources["half.a"].half()
    tensors["half.b"] = sources["half.b"].half()
    tensors["brain.a"] = sources["brain.a"].bfloat16()
    tensors["brain.Z"] = sources["brain.Z"].bfloat16()
    tensors["bn.num_batches_tracked"] = torch.tensor(42, dtype=torch.int64)
    tensors["steps"] = torch.tensor([[1, -2], [3, 2 ** 40]], dtype=torch.int64)
    return sources, tensors


def make_reference_layout():
    sources, tensors = reference_layout_tensors()
    write_like_reference(os.path.join(HERE, "reference_layout.safetensors"), tensors,
                         {"format": "pt", "note": "ünïcode \"quoted\" \\ line\nbreak"})
    inputs = {k: v for k, v in sources.items() if k.startswith(("half.", "brain."))}
    write_like_reference(os.path.join(HERE, "reference_layout_inputs.safetensors"), inputs)


def check(path):
    """Parses a file independently and compares it with PyTorch's conversion of the reference_layout sources."""
    blob = open(path, "rb").read()
    (n,) = struct.unpack_from("<Q", blob, 0)
    assert (8 + n) % 8 == 0, "data region not 8-byte aligned"
    text = blob[8:8 + n].decode("utf-8")
    assert text == text.rstrip(" ") + " " * (len(text) - len(text.rstrip(" "))), "padding is not spaces"
    header = json.loads(text)
    meta = header.pop("__metadata__", {})
    data = blob[8 + n:]
    entries = sorted(header.items(), key=lambda kv: kv[1]["data_offsets"])
    pos = 0
    for name, info in entries:
        begin, end = info["data_offsets"]
        assert begin == pos, f"hole or overlap at {name}"
        assert end - begin == int(np.prod(info["shape"], dtype=np.int64)) * DTYPE_SIZE[info["dtype"]], name
        pos = end
    assert pos == len(data), "trailing bytes"
    order = [name for name, _ in entries]
    expected_order = sorted(order, key=lambda k: (-DTYPE_ORDER.index(header[k]["dtype"]), k.encode("utf-8")))
    assert order == expected_order, f"order {order} != {expected_order}"

    sources, tensors = reference_layout_tensors()
    np_types = {"F32": np.float32, "I64": np.int64, "F16": np.uint16, "BF16": np.uint16}
    for name, want in tensors.items():
        info = header[name]
        begin, end = info["data_offsets"]
        got = np.frombuffer(data[begin:end], dtype=np.dtype(np_types[info["dtype"]]).newbyteorder("<"))
        dtype, shape, want_bytes = raw(want)
        assert info["dtype"] == dtype and info["shape"] == shape, name
        assert data[begin:end] == want_bytes, f"{name}: bytes differ from PyTorch's"
        assert got.size == want.numel(), name
    print(f"OK: {path}: {len(header)} tensors, metadata {meta}, header {n} bytes, data {len(data)} bytes; "
          "layout, order, shapes and every byte match PyTorch.")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    else:
        rng = np.random.default_rng(20240602)
        make_rounding(rng)
        make_dtypes(rng)
        make_reference_layout()
        for f in sorted(os.listdir(HERE)):
            if f.endswith(".safetensors"):
                print(f, os.path.getsize(os.path.join(HERE, f)), "bytes")

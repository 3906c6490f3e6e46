#!/usr/bin/python3
"""Loads state dicts written by the C# engine into the same PyTorch modules and compares outputs.

The C# test StateDictGoldenTests.OurStateDict_WrittenAsSafetensors_ReloadsAndIsReadyForPyTorch writes, for each
module, <name>_state_dict.safetensors (our StateDict(), num_batches_tracked as I64) and <name>_io.safetensors (an
input x and our eval-mode output) into $COLORIZE_GOLDEN_REVERSE_DIR (default: <temp>/colorize-golden-reverse).

    /usr/bin/python3 tests/golden/verify_reverse.py [directory]

Exit code 0 when every module loads with strict=True and PyTorch's eval output matches ours within
1e-4 relative + 1e-5 absolute error.
"""

import json
import os
import struct
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import ConvNet, SelfAttention  # noqa: E402  the same module definitions as the fixtures

_NUMPY = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4"}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=_NUMPY[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(array.copy())
    return out


MODULES = {"convnet": ConvNet, "self_attention": lambda: SelfAttention(16)}


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
        "COLORIZE_GOLDEN_REVERSE_DIR", os.path.join(tempfile.gettempdir(), "colorize-golden-reverse"))
    ok = True
    for name, make in MODULES.items():
        state_path = os.path.join(directory, f"{name}_state_dict.safetensors")
        io_path = os.path.join(directory, f"{name}_io.safetensors")
        if not os.path.exists(state_path):
            print(f"{name}: {state_path} not found; run the C# golden tests first")
            ok = False
            continue
        state = read_safetensors(state_path)
        io = read_safetensors(io_path)
        module = make()
        expected_keys = list(module.state_dict().keys())
        # strict=True: the keys must be exactly PyTorch's, shapes must match
        module.load_state_dict(state, strict=True)
        dtypes = {k: str(v.dtype) for k, v in state.items() if k.endswith("num_batches_tracked")}
        module = module.double().eval()
        with torch.no_grad():
            y = module(io["x"].double()).float()
        ours = io["eval_out"]
        err = (y - ours).abs()
        allowed = 1e-5 + 1e-4 * ours.abs()
        passed = bool((err <= allowed).all())
        ok &= passed
        print(f"{name}: {len(expected_keys)} keys loaded with strict=True {dtypes or ''}; output {tuple(y.shape)} "
              f"max abs error {err.max().item():.3g}, max rel error {(err / ours.abs().clamp_min(1e-30)).max().item():.3g}"
              f" -> {'OK' if passed else 'MISMATCH'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

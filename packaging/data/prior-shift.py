#!/usr/bin/env python3
"""Writes a copy of a class-head pack whose colours are rebalanced at inference: p'(q) ∝ p(q) · w(q)^alpha.

usage: prior-shift.py PACK_DIR REBALANCE_JSON ALPHA OUT_DIR [--version V]

Why: the class head (Zhang et al. 2016) decodes the annealed mean of softmax(logits / T). Trained on few photos, its
distribution keeps most of its mass on the commonest, near-neutral bins, so where it gives grass 50-60 % green the
mean comes out olive. Zhang et al. rebalance the *loss* by each bin's rarity w(q) (rebalance.json, written by the
trainer's `rebalance` option: w = ((1 - lambda) p~ + lambda / Q)^-1, normalised so that E_p~[w] = 1). Weighting the
*prediction* the same way, softmax(logits / T + alpha ln w), needs no training: it is the head convolution with
alpha · T · ln w(q) added to its bias, so the engine, the ONNX export and every host run it unchanged. alpha 0 is the
pack itself; alpha 1 weighs each bin's probability by its rarity weight.

REBALANCE_JSON's bins must be the head's classes (same bin size, in the engine's order: a-major, then b). The copy's
manifest gets the new weights' sha256 and a description that records the shift; the input pack is not modified.
Needs numpy (Debian's python3-numpy, installed with python3-torch).
"""
import hashlib
import json
import math
import os
import shutil
import struct
import sys

import numpy as np


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"prior-shift.py: cannot read {path}: {e}")


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    return header, data


def main():
    args = sys.argv[1:]
    version = None
    if "--version" in args:
        i = args.index("--version")
        version = args[i + 1]
        del args[i:i + 2]
    if len(args) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    pack, rebalance_path, alpha, out = args[0], args[1], float(args[2]), args[3]
    if os.path.exists(out):
        sys.exit(f"{out} exists; not overwritten")
    manifest = read_json(os.path.join(pack, "manifest.json"))
    hp = manifest["architecture"]["hyperparameters"]
    if hp.get("abHead") != "classes":
        sys.exit(f"{pack}: not a class-head pack (abHead {hp.get('abHead')!r})")
    rebalance = read_json(rebalance_path)
    if rebalance["binSize"] != hp.get("abBinSize", 10):
        sys.exit(f"bin size {rebalance['binSize']} in {rebalance_path}, {hp.get('abBinSize', 10)} in the pack")
    bins = rebalance["bins"]
    if [(b["a"], b["b"]) for b in bins] != sorted((b["a"], b["b"]) for b in bins):
        sys.exit(f"{rebalance_path}: bins not in the engine's order (a, then b)")
    temperature = hp.get("annealTemperature", 0.38)
    shift = np.array([alpha * temperature * math.log(b["w"]) for b in bins], dtype=np.float64)

    weights_path = os.path.join(pack, manifest["weights"]["file"])
    try:
        header, data = read_safetensors(weights_path)
    except (OSError, ValueError, struct.error) as e:
        sys.exit(f"prior-shift.py: cannot read {weights_path}: {e}")
    if "head.bias" not in header:
        sys.exit(f"{weights_path}: no head.bias")
    entry = header["head.bias"]
    dtype = {"F16": np.float16, "F32": np.float32}.get(entry["dtype"])
    if dtype is None:
        sys.exit(f"{weights_path}: head.bias is {entry['dtype']}; prior-shift.py reads F16 and F32")
    start, end = entry["data_offsets"]
    bias = np.frombuffer(data[start:end], dtype=dtype).astype(np.float64)
    if bias.shape != shift.shape:
        sys.exit(f"head.bias has {bias.size} classes, {rebalance_path} {shift.size} bins")
    new = (bias + shift).astype(dtype).tobytes()
    data = data[:start] + new + data[end:]
    header_bytes = json.dumps(header, separators=(",", ":")).encode()
    header_bytes += b" " * (-len(header_bytes) % 8)

    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    blob = struct.pack("<Q", len(header_bytes)) + header_bytes + data
    with open(os.path.join(tmp, manifest["weights"]["file"]), "wb") as f:
        f.write(blob)
    manifest["weights"]["sha256"] = hashlib.sha256(blob).hexdigest()
    manifest["description"] += (f" Class probabilities rebalanced at inference by prior-shift.py: head bias + {alpha:g} x T x ln w "
                                f"(w from a rebalance.json of lambda {rebalance['weight']:g}, sigma {rebalance['sigma']:g}).")
    if version:
        manifest["version"] = version
    with open(os.path.join(tmp, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    for name in os.listdir(pack):
        if name not in ("manifest.json", manifest["weights"]["file"]):
            shutil.copy2(os.path.join(pack, name), os.path.join(tmp, name))
    os.replace(tmp, out)
    print(f"wrote {out}: head bias shifted by {shift.min():+.3f}..{shift.max():+.3f} (alpha {alpha:g}, T {temperature:g})")


if __name__ == "__main__":
    main()

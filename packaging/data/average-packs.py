#!/usr/bin/python3
"""Writes a pack folder whose weights are the mean of several pack folders' weights.

usage: average-packs.py OUT_FOLDER PACK_FOLDER...   (Debian's /usr/bin/python3: numpy)

Stochastic weight averaging of kept checkpoints (Izmailov et al. 2018), tried on the default pack's recipe in issue 14
(packaging/data/eval/ablation-1.2/README.md). The packs must share one architecture (as `colorize-train pack` writes
them for epochs of one run). Every float tensor is averaged in float64 and stored in its own dtype; BatchNorm's running
statistics are averaged like the rest (not re-estimated on data); integer tensors (num_batches_tracked) come from the
last pack. Spectral norm's stored u and v are not averaged but re-estimated by 30 power iterations on the averaged
weight_orig, started from the averaged u: the engine divides weight_orig by u·W·v, and a mean of unit vectors is not a
unit vector. The manifest is the last pack's with the new sha256, its metrics dropped (they were the last pack's).
"""
import hashlib
import json
import os
import struct
import sys

import numpy as np

DTYPES = {"F16": np.float16, "F32": np.float32, "I64": np.int64}


def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    header.pop("__metadata__", None)
    return {k: (v["dtype"], np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], DTYPES[v["dtype"]]).reshape(v["shape"]))
            for k, v in header.items()}


def main(out, packs):
    tensors = [read(os.path.join(p, "weights.safetensors")) for p in packs]
    if any(t.keys() != tensors[0].keys() for t in tensors):
        sys.exit("average-packs.py: the packs do not hold the same tensors")
    mean = {}
    for k, (dtype, last) in tensors[-1].items():
        mean[k] = (dtype, last if dtype == "I64" else np.mean([t[k][1].astype(np.float64) for t in tensors], axis=0))
    for k in [k for k in mean if k.endswith("_orig")]:
        base = k[:-len("_orig")]
        w = mean[k][1].reshape(mean[k][1].shape[0], -1)
        u = mean[base + "_u"][1].astype(np.float64)
        v = mean[base + "_v"][1].astype(np.float64)
        for _ in range(30):
            v = w.T @ u
            v /= max(np.linalg.norm(v), 1e-12)
            u = w @ v
            u /= max(np.linalg.norm(u), 1e-12)
        mean[base + "_u"] = (mean[base + "_u"][0], u)
        mean[base + "_v"] = (mean[base + "_v"][0], v)

    header, blobs, offset = {}, [], 0
    for k in sorted(mean):
        dtype, a = mean[k]
        b = np.ascontiguousarray(a.astype(DTYPES[dtype])).tobytes()
        header[k] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * (-len(hb) % 8)
    os.makedirs(out, exist_ok=True)
    weights = os.path.join(out, "weights.safetensors")
    with open(weights + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)
    os.replace(weights + ".tmp", weights)
    manifest = json.load(open(os.path.join(packs[-1], "manifest.json")))
    with open(weights, "rb") as f:
        manifest["weights"]["sha256"] = hashlib.sha256(f.read()).hexdigest()
    manifest["description"] = "Mean of the weights of " + ", ".join(os.path.normpath(p) for p in packs)
    manifest.pop("metrics", None)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])

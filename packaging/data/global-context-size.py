#!/usr/bin/python3
"""How large a run's globalContext block (GlobalContext.cs) makes its context beside the layer4 features it is added
to: RMS(context) / RMS(features) per validation photo (256 px short side, the encoder fed grey as the pack feeds it),
from a checkpoint of `colorize-train` (keys g.encoder.*, g.global_context.*), with tests/golden/architectures.py's
PyTorch modules.

    /usr/bin/python3 packaging/data/global-context-size.py RUN/checkpoints/epoch-000N.safetensors DATA_DIR LIST

Why: the block starts at zero inside a trained network; whether a run that changed nothing learnt nothing in the
block, or learnt a context that the rest of the network does not use, is a question of this size.
"""
import json, struct, sys, os
import numpy as np, torch
from PIL import Image
from skimage import color
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "golden"))
import architectures as A

def load(path):
    f = open(path, "rb"); n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n)); base = 8 + n; out = {}
    for k, v in h.items():
        if k == "__metadata__": continue
        f.seek(base + v["data_offsets"][0]); b = f.read(v["data_offsets"][1] - v["data_offsets"][0])
        dt = {"F32": np.float32, "F16": np.float16, "I64": np.int64}[v["dtype"]]
        out[k] = torch.from_numpy(np.frombuffer(b, dtype=dt).copy().reshape(v["shape"]))
    return out

if len(sys.argv) != 4:
    sys.exit(__doc__.split("\n\n")[1])
ckpt, data, listing = sys.argv[1], sys.argv[2], sys.argv[3]
t = load(ckpt)
es = {k[len("g.encoder."):]: v.float() if v.dtype != torch.int64 else v for k, v in t.items() if k.startswith("g.encoder.")}
gs = {k[len("g.global_context."):]: v.float() for k, v in t.items() if k.startswith("g.global_context.")}
# The gated form (globalContextGate) has a gate; its size is what the context's is.
enc = A.ResNetEncoder(18, 3, 3); gc = A.GlobalContext(512, 256, gated="gate" in gs)
print(enc.load_state_dict(es, strict=True), gc.load_state_dict(gs, strict=True))
enc.eval(); ratios = []
rels = [l.split("\t")[0].strip() for l in open(listing) if l.strip() and not l.startswith("#")]
with torch.no_grad():
    for rel in rels:
        im = Image.open(os.path.join(data, rel)).convert("RGB"); w, h = im.size; s = 256 / min(w, h)
        im = im.resize((max(32, int(w * s) // 32 * 32), max(32, int(h * s) // 32 * 32)), Image.BICUBIC)
        lab = color.rgb2lab(np.asarray(im) / 255.0)
        l = torch.from_numpy((lab[..., 0] / 50 - 1)[None, None].astype(np.float32))
        f4 = enc.features(A.imagenet_from_grey(l))[4]
        ctx = gc(f4) - f4
        ratios.append(float(ctx.pow(2).mean().sqrt() / f4.pow(2).mean().sqrt()))
print(f"{len(ratios)} photos: context RMS / layer4 RMS mean {np.mean(ratios):.4f}, min {np.min(ratios):.4f}, max {np.max(ratios):.4f}")

"""Shared by the scripts that look inside a colorize-train checkpoint with PyTorch (global-context-size.py,
scene-head-probe.py): reading its safetensors, building the encoder and global-context block from it with
tests/golden/architectures.py's modules, and feeding a photo as the pack does (grey L, 256 px short side)."""
import json, os, struct, sys
import numpy as np, torch
from PIL import Image
from skimage import color
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "golden"))
import architectures as A


def refuse(what, error):
    """Ends the script with one line (what could not be read, and why) instead of a stack trace."""
    sys.exit(f"{os.path.basename(sys.argv[0])}: {what}: {error}")


def load(path):
    """Every tensor of a safetensors file (F32, F16, I64) as a torch tensor, by key; a file that is not one is refused."""
    try:
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n)); base = 8 + n; out = {}
            for k, v in h.items():
                if k == "__metadata__": continue
                f.seek(base + v["data_offsets"][0]); b = f.read(v["data_offsets"][1] - v["data_offsets"][0])
                dt = {"F32": np.float32, "F16": np.float16, "I64": np.int64}[v["dtype"]]
                out[k] = torch.from_numpy(np.frombuffer(b, dtype=dt).copy().reshape(v["shape"]))
        return out
    except (OSError, ValueError, KeyError, TypeError, struct.error, MemoryError) as e:
        refuse(f"cannot read {path} as safetensors", e)


def encoder_and_block(t):
    """The checkpoint's ResNet18 encoder ([2,2,2,3], ImageNet input; eval mode) and its global-context block, plain or
    gated (the gated form has a gate)."""
    es = {k[len("g.encoder."):]: v.float() if v.dtype != torch.int64 else v for k, v in t.items() if k.startswith("g.encoder.")}
    gs = {k[len("g.global_context."):]: v.float() for k, v in t.items() if k.startswith("g.global_context.")}
    enc = A.ResNetEncoder(18, 3, 3); gc = A.GlobalContext(512, 256, gated="gate" in gs)
    try:
        print(enc.load_state_dict(es, strict=True), gc.load_state_dict(gs, strict=True))
    except RuntimeError as e:
        refuse("not a checkpoint of a resnet-unet18 ([2,2,2,3]) with the global-context block", str(e).splitlines()[0])
    enc.eval()
    return enc, gc


def photo(path):
    """The photo's Lab (skimage, D65) at 256 px short side (sides multiples of 32) and the encoder's input from its L."""
    try:
        im = Image.open(path).convert("RGB")
    except (OSError, ValueError) as e:
        refuse(f"cannot read {path}", e)
    w, h = im.size; s = 256 / min(w, h)
    im = im.resize((max(32, int(w * s) // 32 * 32), max(32, int(h * s) // 32 * 32)), Image.BICUBIC)
    lab = color.rgb2lab(np.asarray(im) / 255.0)
    l = torch.from_numpy((lab[..., 0] / 50 - 1)[None, None].astype(np.float32))
    return lab, A.imagenet_from_grey(l)


def listed(listing):
    """The photo paths of a list file (first tab-separated field; # comments and blank lines skipped)."""
    try:
        with open(listing) as f:
            return [l.split("\t")[0].strip() for l in f if l.strip() and not l.startswith("#")]
    except (OSError, ValueError) as e:
        refuse(f"cannot read {listing}", e)

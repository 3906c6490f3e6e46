#!/usr/bin/python3
"""Writes the parity fixtures of the engine's architectures (tests/golden/architectures.py against
core/Colorize.Engine/Architectures/), read by tests/Colorize.Engine.Tests/Golden/.

    /usr/bin/python3 tests/golden/generate_architectures.py              # every configuration
    /usr/bin/python3 tests/golden/generate_architectures.py sagan_critic # only some (names in CONFIGS)

For each configuration (a small instance of one architecture) two files go to fixtures/architectures/:

  <name>_state_dict.safetensors  the state dict as PyTorch holds it, loadable with StateDictIO: num_batches_tracked
                                 as I64, 1-D tensors and small weights as F32, weights of 1024+ elements as F16 (the
                                 module's own weights are rounded to F16 before anything is computed, so the
                                 references are exact for the stored values). Weights too big to store (the ResNet
                                 encoder is fixed at 64..512 channels: 11M+ parameters) are left out and listed as
                                 "synthetic" in the io metadata: they are a documented hash of the element index
                                 (synthetic_weights below) that the C# test recomputes bit for bit.
  <name>_io.safetensors          x; eval/out (eval mode); train/out, train/gout, train/grad/x,
                                 train/grad/<parameter> (for the parameters of at most GRAD_MAX elements) of the loss
                                 sum(train/out * train/gout) in training mode; train/after/<buffer> (BatchNorm running
                                 statistics and num_batches_tracked, spectral norm's weight_u, and weight_v when it
                                 has at most GRAD_MAX elements) after that training forward. Metadata "config": architecture, hyperparameters (hp), the
                                 hyperparameters of the training-mode model (train_hp: dropout off, same keys),
                                 the state-dict keys in order, the synthetic weights and the gradient names.
                                 Configurations with a lab_case also hold lab/... (lab_case_io): a check of
                                 ImageNetInput's Lab -> sRGB -> ImageNet conversion on its own.

Weights are random but realistic in scale (fan-in normal for convs, BatchNorm affine around 1, non-zero
self-attention gamma), then BatchNorm running statistics and spectral-norm vectors come from two training
forwards on random batches. References are computed in float64 from the float32 (or F16-rounded) values and
stored as float32. The output is deterministic.
"""

import json
import math
import os
import struct
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import architectures  # noqa: E402

OUT = os.path.join(HERE, "fixtures", "architectures")

F16_MIN_ELEMENTS = 1024  # weights (2-D and up) with this many elements are stored as F16
GRAD_MAX = 2304          # parameter gradients are stored for parameters with at most this many elements,
GRAD_BUDGET = 8192       # spread evenly over the network when they hold more elements than this in total

# Small instances of every architecture. hp: the manifest hyperparameters; train_hp: those of the training-mode
# model (dropout off; same keys), None for no training-mode case; synthetic: weights with more elements than this
# are synthetic (None: the whole state dict is stored). patchgan_batch stores every weight, to load a complete
# PyTorch state dict; the others keep the fixtures small (all fixtures together about 4.8 MB).
CONFIGS = [
    dict(name="pix2pix_batch", arch="pix2pix-unet", hp={"numDowns": 5, "ngf": 8}, shape=(2, 1, 32, 32),
         train_hp={"numDowns": 5, "ngf": 8}, synthetic=16384),
    dict(name="pix2pix_instance_dropout", arch="pix2pix-unet",
         hp={"numDowns": 6, "ngf": 4, "norm": "instance", "dropout": True}, shape=(1, 1, 64, 64),
         train_hp={"numDowns": 6, "ngf": 4, "norm": "instance", "dropout": False}, synthetic=4096),
    dict(name="patchgan_batch", arch="patchgan", hp={"ndf": 8}, shape=(2, 3, 24, 32), train_hp={"ndf": 8},
         synthetic=None),
    dict(name="patchgan_instance", arch="patchgan", hp={"ndf": 8, "norm": "instance", "layers": 2},
         shape=(2, 3, 24, 40), train_hp={"ndf": 8, "norm": "instance", "layers": 2}, synthetic=4096),
    dict(name="unet_classic", arch="unet-classic", hp={"width": 8, "depth": 3}, shape=(2, 1, 24, 32),
         train_hp={"width": 8, "depth": 3}, synthetic=4096),
    dict(name="resnet_unet18", arch="resnet-unet", hp={"encoderDepth": 18, "width": 0.25}, shape=(2, 1, 32, 64),
         train_hp={"encoderDepth": 18, "width": 0.25}, synthetic=4096),
    dict(name="resnet_unet34_plain", arch="resnet-unet",
         hp={"encoderDepth": 34, "width": 0.5, "selfAttention": False, "spectralNorm": False}, shape=(2, 1, 32, 32),
         train_hp=None, synthetic=4096),
    dict(name="sagan_critic", arch="sagan-critic", hp={"nf": 8, "blocks": 3}, shape=(1, 3, 64, 80),
         train_hp={"nf": 8, "blocks": 3, "dropout": 0.0}, synthetic=4096),
    # Last, so that the seeds (4000 + index) of the configurations above stay as they were. ML.NET's ImageNet
    # ResNet18 layout (layer4 of 3 blocks) fed L as a grey photo; 1x64x64 so that layer4's BatchNorm sees 4 values
    # per channel in training mode (at 32x32 it would see 1, or 2 with a batch of 2). lab_case: the shape of an extra
    # check of the conversion alone (ImageNetInput.LabToSrgb, FromSrgb, FromGrey) with colour, on random Lab values.
    dict(name="resnet_unet18_imagenet", arch="resnet-unet",
         hp={"encoderDepth": 18, "layer4Blocks": 3, "imageNetInput": True, "width": 0.25}, shape=(1, 1, 64, 64),
         train_hp={"encoderDepth": 18, "layer4Blocks": 3, "imageNetInput": True, "width": 0.25}, synthetic=4096,
         lab_case=(1, 1, 16, 16)),
    # Colour hints (issue 16): the shipped layout with the hint branch, whose weights are random here (the C# network
    # starts them at zero), and an input whose hint planes are zero except a few hinted squares (hint_planes).
    dict(name="resnet_unet18_hints", arch="resnet-unet",
         hp={"encoderDepth": 18, "layer4Blocks": 3, "imageNetInput": True, "width": 0.25, "hints": True},
         shape=(1, 4, 64, 64),
         train_hp={"encoderDepth": 18, "layer4Blocks": 3, "imageNetInput": True, "width": 0.25, "hints": True},
         synthetic=4096, hint_planes=True),
    # The classification head (abHead "classes", issue 14): 261 logits per pixel decoded by the annealed mean at the
    # default T 0.38; classes/centres holds the bin centres this script computed (architectures.srgb_gamut_centres), so
    # the C# test also checks the engine's gamut against it.
    dict(name="resnet_unet18_classes", arch="resnet-unet",
         hp={"encoderDepth": 18, "width": 0.25, "abHead": "classes"}, shape=(2, 1, 32, 64),
         train_hp={"encoderDepth": 18, "width": 0.25, "abHead": "classes"}, synthetic=4096, class_centres=True),
    # Global features (globalContext, issue 14): the shipped layout with the block, its weights random here (the C#
    # network starts `expand` at zero, which would hide the block).
    dict(name="resnet_unet18_global", arch="resnet-unet",
         hp={"encoderDepth": 18, "layer4Blocks": 3, "imageNetInput": True, "width": 0.25, "globalContext": True},
         shape=(2, 1, 64, 64),
         train_hp={"encoderDepth": 18, "layer4Blocks": 3, "imageNetInput": True, "width": 0.25, "globalContext": True},
         synthetic=4096),
    # Its gated form (globalContextGate): the context normalised to unit RMS over the channels and multiplied by a
    # per-channel gate, random here (randomize: the C# network starts the gate at zero, which would hide the block).
    # extra_grads: the block's small parameters' gradients are stored whatever the budget's spacing picks.
    dict(name="resnet_unet18_global_gated", arch="resnet-unet",
         hp={"encoderDepth": 18, "layer4Blocks": 3, "imageNetInput": True, "width": 0.25, "globalContext": True,
             "globalContextGate": True},
         shape=(2, 1, 64, 64),
         train_hp={"encoderDepth": 18, "layer4Blocks": 3, "imageNetInput": True, "width": 0.25, "globalContext": True,
                   "globalContextGate": True},
         synthetic=4096, extra_grads=("global_context.gate", "global_context.reduce.bias")),
]

ROLES = {"pix2pix-unet": "generator", "unet-classic": "generator", "resnet-unet": "generator",
         "patchgan": "discriminator", "sagan-critic": "discriminator"}


def synthetic_weights(seed, count, scale):
    """Element j = scale * (h(j) / 2^23 - 1) in float32, h(j) the top 24 bits of Chris Wellons' lowbias32 hash of
    (j + seed * 0x9E3779B9) mod 2^32: uniform in [-scale, scale), every step exact in float32, so C# reproduces it
    bit for bit (SyntheticWeights.cs)."""
    x = (np.arange(count, dtype=np.uint64) + np.uint64(seed) * np.uint64(0x9E3779B9)) & np.uint64(0xFFFFFFFF)
    x = x.astype(np.uint32)
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x7FEB352D)
    x ^= x >> np.uint32(15)
    x *= np.uint32(0x846CA68B)
    x ^= x >> np.uint32(16)
    u = (x >> np.uint32(8)).astype(np.float32) * np.float32(2.0 ** -23) - np.float32(1.0)
    return u * np.float32(scale)


_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}


def write_safetensors(path, tensors, metadata):
    """tensors: ordered name -> (dtype name, tensor). The format by hand, as generate.py writes it."""
    header = OrderedDict()
    header["__metadata__"] = OrderedDict(metadata)
    blobs, offset = [], 0
    for name, (dtype, t) in tensors.items():
        data = t.detach().contiguous().cpu().numpy().astype(_DTYPES[dtype]).tobytes() if t.numel() else b""
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def fan_in(module, t):
    if isinstance(module, nn.ConvTranspose2d):  # weight [in, out, kh, kw]; each output sees in*kh*kw/stride^2 taps
        return t.shape[0] * t.shape[2] * t.shape[3] / (module.stride[0] * module.stride[1])
    return t[0].numel()


def randomize(model, synthetic_over):
    """Realistic random weights; returns {key: [seed, scale, shape]} for the synthetic ones."""
    keys = list(model.state_dict().keys())
    synthetic = OrderedDict()
    with torch.no_grad():
        for mname, module in model.named_modules():
            for pname, p in module.named_parameters(recurse=False):
                key = f"{mname}.{pname}" if mname else pname
                if pname in ("weight", "weight_orig") and p.dim() > 1:
                    std = 1.0 / math.sqrt(fan_in(module, p))
                    if synthetic_over is not None and p.numel() > synthetic_over:
                        seed = keys.index(key)
                        scale = float(np.float32(std * math.sqrt(3.0)))  # uniform with the same variance
                        p.copy_(torch.from_numpy(synthetic_weights(seed, p.numel(), scale)).reshape(p.shape))
                        synthetic[key] = [seed, scale, list(p.shape)]
                    else:
                        p.normal_(0.0, std)
                elif pname == "gamma":
                    p.fill_(0.6)  # self-attention starts at 0, which would hide the attention branch
                elif pname == "gate":
                    # The global context's gate starts at 0, which would hide the block; both signs, none near 0.
                    p.copy_((torch.rand(p.shape) * 0.5 + 0.25) * torch.sign(torch.randn(p.shape)))
                elif isinstance(module, nn.BatchNorm2d) and pname == "weight":
                    p.uniform_(0.6, 1.4)
                else:  # biases
                    p.normal_(0.0, 0.2)
    return synthetic


def stored_dtype(key, t):
    if t.dtype == torch.int64:
        return "I64"
    return "F16" if t.dim() > 1 and t.numel() >= F16_MIN_ELEMENTS else "F32"


def lab_case_io(shape, seed):
    """lab/l (L/50 - 1, uniform over [0, 100]) and lab/ab (ab/110, normal with sd 0.35: many colours out of gamut, some
    with fz < 0) of `shape` (N, 1, H, W); lab/srgb = lab_to_srgb(l, ab), lab/imagenet = imagenet_from_srgb of it,
    lab/grey = imagenet_from_grey(l), and lab/grad/l, lab/grad/ab of sum(lab/imagenet * lab/gout), in float64."""
    g = torch.Generator().manual_seed(seed)
    n, _, h, w = shape
    l = torch.rand(shape, generator=g) * 2 - 1
    ab = torch.randn((n, 2, h, w), generator=g) * 0.35
    gout = torch.randn((n, 3, h, w), generator=g)
    li, abi = l.double().requires_grad_(True), ab.double().requires_grad_(True)
    srgb = architectures.lab_to_srgb(li, abi)
    net_in = architectures.imagenet_from_srgb(srgb)
    (net_in * gout.double()).sum().backward()
    with torch.no_grad():
        grey = architectures.imagenet_from_grey(l.double())
    io = OrderedDict()
    io["lab/l"] = ("F32", l)
    io["lab/ab"] = ("F32", ab)
    io["lab/srgb"] = ("F32", srgb.detach().float())
    io["lab/imagenet"] = ("F32", net_in.detach().float())
    io["lab/grey"] = ("F32", grey.float())
    io["lab/gout"] = ("F32", gout)
    io["lab/grad/l"] = ("F32", li.grad.float())
    io["lab/grad/ab"] = ("F32", abi.grad.float())
    # Coverage of the pieces: below the f^-1 knee (L < 8), linear sRGB below its knee, clipped, fz clamped at 0.
    big_l = (l.double() + 1) * 50
    fz = (big_l + 16) / 116 - ab[:, 1:2].double() * 110 / 200
    c = srgb.detach()  # the gamma's pieces are exact only to rounding: clipped channels are within 1e-7 of 0 or 1
    print(f"lab case: {l.numel()} colours, {int((big_l < 8).sum())} with L < 8, {int((fz < 0).sum())} with fz < 0; "
          f"channels: {int(((c > 1e-6) & (c < 0.04045)).sum())} on the linear sRGB piece, "
          f"{int((c <= 1e-6).sum())} clipped at 0, {int((c >= 1 - 1e-6).sum())} at 1, of {c.numel()}")
    return io


def hinted_input(shape):
    """L/50 - 1 uniform in channel 0; channels 1-3 (hint a/110, hint b/110, mask) zero except six squares of side 1-5
    with a random colour (ab/110 in [-0.6, 0.6]) and mask 1, as the pipeline rasterises hints."""
    x = torch.zeros(shape)
    x[:, 0:1] = torch.rand((shape[0], 1) + tuple(shape[2:])) * 2 - 1
    for n in range(shape[0]):
        for _ in range(6):
            side = int(torch.randint(1, 6, ()))
            y0 = int(torch.randint(0, shape[2] - side + 1, ()))
            x0 = int(torch.randint(0, shape[3] - side + 1, ()))
            ab = torch.rand(2) * 1.2 - 0.6
            x[n, 1, y0:y0 + side, x0:x0 + side] = ab[0]
            x[n, 2, y0:y0 + side, x0:x0 + side] = ab[1]
            x[n, 3, y0:y0 + side, x0:x0 + side] = 1
    return x


def generate(index, name, arch, hp, shape, train_hp, synthetic, lab_case=None, hint_planes=False, class_centres=False,
             extra_grads=()):
    synthetic_over = synthetic
    torch.manual_seed(4000 + index)
    model = architectures.build(arch, hp)
    synthetic = randomize(model, synthetic_over)

    # BatchNorm running statistics and spectral-norm u, v from two training forwards on shifted random batches.
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn(shape) * 1.3 + 0.2)

    sd = model.state_dict()  # shares storage with the model
    with torch.no_grad():
        for key, t in sd.items():
            if key not in synthetic and stored_dtype(key, t) == "F16":
                t.copy_(t.half().float())
    keys = list(sd.keys())
    write_safetensors(os.path.join(OUT, f"{name}_state_dict.safetensors"),
                      OrderedDict((k, (stored_dtype(k, t), t)) for k, t in sd.items() if k not in synthetic),
                      {"format": "pt", "source": f"tests/golden/generate_architectures.py {name}"})
    state = OrderedDict((k, t.clone()) for k, t in sd.items())

    generator_input = ROLES[arch] == "generator"
    x = hinted_input(shape) if hint_planes else (torch.rand(shape) * 2 - 1) if generator_input else torch.randn(shape)
    io = OrderedDict()
    io["x"] = ("F32", x)
    if lab_case is not None:
        io.update(lab_case_io(lab_case, 5000 + index))
    if class_centres:
        io["classes/centres"] = ("F32", torch.tensor(architectures.srgb_gamut_centres(hp.get("abBinSize", 10)),
                                                      dtype=torch.float32))

    model = model.double()
    model.eval()
    with torch.no_grad():
        eval_out = model(x.double())
    io["eval/out"] = ("F32", eval_out.float())

    config = OrderedDict(architecture=arch, version=1, role=ROLES[arch], hp=hp, train_hp=train_hp, keys=keys,
                         synthetic=synthetic, grads=[])
    if train_hp is None:
        write_safetensors(os.path.join(OUT, f"{name}_io.safetensors"), io, {"config": json.dumps(config)})
        print(f"{name}: {len(keys)} keys, eval out std {eval_out.std():.3f}")
        return
    train_model = architectures.build(arch, train_hp).double()
    train_model.load_state_dict(state)
    train_model.train()
    xi = x.double().requires_grad_(True)
    y = train_model(xi)
    gout = torch.randn(y.shape)
    (y * gout.double()).sum().backward()
    io["train/out"] = ("F32", y.detach().float())
    io["train/gout"] = ("F32", gout)
    io["train/grad/x"] = ("F32", xi.grad.float())
    eligible = [(pn, p) for pn, p in train_model.named_parameters() if p.numel() <= GRAD_MAX and pn not in synthetic]
    step = max(1, math.ceil(sum(p.numel() for _, p in eligible) / GRAD_BUDGET))
    for i, (pn, p) in enumerate(eligible):
        if i % step == 0 or i == len(eligible) - 1 or pn in extra_grads:
            io[f"train/grad/{pn}"] = ("F32", p.grad.float())
            config["grads"].append(pn)
    for bn, b in train_model.named_buffers():
        if bn.endswith("weight_v") and b.numel() > GRAD_MAX:
            continue  # large v vectors are left out to keep the fixture small (u and the outputs depend on them)
        io[f"train/after/{bn}"] = ("I64", b) if b.dtype == torch.int64 else ("F32", b.float())
    write_safetensors(os.path.join(OUT, f"{name}_io.safetensors"), io, {"config": json.dumps(config)})
    print(f"{name}: {len(keys)} keys, {sum(t.numel() for t in state.values())} values "
          f"({sum(state[k].numel() for k in synthetic)} synthetic), eval out std {eval_out.std():.3f} "
          f"max |out| {eval_out.abs().max():.3f}, train out std {y.std():.3f}, |grad x| max {xi.grad.abs().max():.3g}")


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    only = set(sys.argv[1:])
    for i, cfg in enumerate(CONFIGS):
        if not only or cfg["name"] in only:
            generate(i, **cfg)
    total = 0
    for f in sorted(os.listdir(OUT)):
        size = os.path.getsize(os.path.join(OUT, f))
        total += size
        print(f"{size:9d}  {f}")
    print(f"{total:9d}  total bytes")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""How large a run's globalContext block (GlobalContext.cs) makes its context beside the layer4 features it is added
to: RMS(context) / RMS(features) per validation photo (256 px short side, the encoder fed grey as the pack feeds it),
from a checkpoint of `colorize-train` (keys g.encoder.*, g.global_context.*), with tests/golden/architectures.py's
PyTorch modules.

    /usr/bin/python3 packaging/data/global-context-size.py RUN/checkpoints/epoch-000N.safetensors DATA_DIR LIST

Why: the block starts at zero inside a trained network; whether a run that changed nothing learnt nothing in the
block, or learnt a context that the rest of the network does not use, is a question of this size.
"""
import os, sys
import numpy as np, torch
from checkpoint_probe import load, encoder_and_block, photo, listed

if len(sys.argv) != 4:
    sys.exit(__doc__.split("\n\n")[1])
ckpt, data, listing = sys.argv[1], sys.argv[2], sys.argv[3]
enc, gc = encoder_and_block(load(ckpt))
ratios = []
with torch.no_grad():
    for rel in listed(listing):
        f4 = enc.features(photo(os.path.join(data, rel))[1])[4]
        ctx = gc(f4) - f4
        ratios.append(float(ctx.pow(2).mean().sqrt() / f4.pow(2).mean().sqrt()))
print(f"{len(ratios)} photos: context RMS / layer4 RMS mean {np.mean(ratios):.4f}, min {np.min(ratios):.4f}, max {np.max(ratios):.4f}")

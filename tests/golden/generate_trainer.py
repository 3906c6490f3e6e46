#!/usr/bin/python3
"""Writes the trainer's golden fixture: one WGAN-GP critic step of the wgan-gp recipe, computed by PyTorch.

Run with Debian's Python and python3-torch (1.13), like generate.py:

    /usr/bin/python3 tests/golden/generate_trainer.py

Writes tests/golden/fixtures/trainer/wgan_gp_critic_step.safetensors, read by
tests/Colorize.Trainer.Tests/WganGpGoldenTests.cs. The critic is the recipe's instance-norm PatchGAN (a small one:
ndf 8, 2 layers; architectures.PatchGan has the engine's state-dict keys) with random weights; the batch is an L
plane, a real and a generated ab pair and fixed interpolation weights alpha. The critic sees L||ab as the trainer's
critic step does, and PyTorch computes in float64:

  distance = mean D(L||fake) - mean D(L||real)
  penalty  = lambda * mean((||grad_x D(x_hat)||_2 - 1)^2),  x_hat = alpha*(L||real) + (1-alpha)*(L||fake)
             (torch.autograd.grad with create_graph=True: double backward into the critic's weights)
  loss     = distance + penalty, then loss.backward()

Stored (as float32): state/<key> (the critic's state dict), in/l, in/real_ab, in/fake_ab, in/alpha, distance,
penalty, loss, grad/<parameter> (d loss / d parameter). Metadata "critic": architecture, hyperparameters, keys,
lambda. Deterministic: same bytes on every run.
"""
import json
import os
from collections import OrderedDict

import torch
import torch.nn.functional as F

import architectures
from generate import randomize, write_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "trainer")


def main():
    torch.manual_seed(601)
    hp = {"ndf": 8, "layers": 2, "norm": "instance"}
    critic = architectures.build("patchgan", hp)
    # Small weights keep the input-gradient norms near 1 (penalty about 0.6, some norms above 1 and some below), the
    # regime training keeps a critic in; with 0.3 the penalty is ~1e4 and its rounding would drown the distance.
    randomize(critic, scale=0.01)
    critic = critic.double()
    tensors = OrderedDict()
    keys = []
    for k, v in critic.state_dict().items():
        tensors[f"state/{k}"] = v.float()
        keys.append(k)

    n, size = 2, 16
    l = torch.rand(n, 1, size, size) * 2 - 1
    real_ab = torch.rand(n, 2, size, size) * 0.8 - 0.4
    fake_ab = torch.tanh(torch.randn(n, 2, size, size) * 0.3)
    alpha = torch.rand(n, 1, 1, 1)
    for k, v in (("l", l), ("real_ab", real_ab), ("fake_ab", fake_ab), ("alpha", alpha)):
        tensors[f"in/{k}"] = v

    lam = 10.0
    real = torch.cat([l, real_ab], 1).double()
    fake = torch.cat([l, fake_ab], 1).double()
    distance = critic(fake).mean() - critic(real).mean()
    a = alpha.double()
    x_hat = (a * real + (1 - a) * fake).requires_grad_(True)
    scores = critic(x_hat)
    grad, = torch.autograd.grad(scores, x_hat, torch.ones_like(scores), create_graph=True)
    penalty = ((grad.reshape(n, -1).norm(2, dim=1) - 1) ** 2).mean() * lam
    loss = distance + penalty
    loss.backward()
    tensors["distance"] = distance.detach().float()
    tensors["penalty"] = penalty.detach().float()
    tensors["loss"] = loss.detach().float()
    for pn, p in critic.named_parameters():
        tensors[f"grad/{pn}"] = p.grad.float()

    meta = OrderedDict(critic=json.dumps({"architecture": "patchgan", "hyperparameters": hp, "keys": keys, "lambda": lam}))
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "wgan_gp_critic_step.safetensors")
    write_safetensors(path, tensors, meta)
    print(f"{os.path.getsize(path):9d}  {path}")


if __name__ == "__main__":
    main()

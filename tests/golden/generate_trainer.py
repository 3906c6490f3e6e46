#!/usr/bin/python3
"""Writes the trainer's golden fixtures, computed by PyTorch: one WGAN-GP critic step of the wgan-gp recipe, the
learning rates of OneCycleLR that pretrain.oneCycle reproduces, and the class head's loss (gen_class_loss).

Run with Debian's Python and python3-torch (1.13), like generate.py:

    /usr/bin/python3 tests/golden/generate_trainer.py                # both
    /usr/bin/python3 tests/golden/generate_trainer.py one_cycle      # only some (wgan_gp, one_cycle, class_loss)

1. tests/golden/fixtures/trainer/wgan_gp_critic_step.safetensors, read by
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
lambda.

2. tests/golden/fixtures/trainer/one_cycle_lr.json, read by tests/Colorize.Trainer.Tests/OneCycleTests.cs: for a few
(max_lr, total_steps, pct_start, div_factor, final_div_factor), torch.optim.lr_scheduler.OneCycleLR with
anneal_strategy "cos", three_phase False and cycle_momentum False on Adam; "lr" is every group's rate after
construction and after each scheduler.step() that follows an optimizer step, i.e. the rate of optimizer steps 0 to
total_steps - 1. JSON, not safetensors: the rates are float64 (Python's repr round-trips them exactly) and the C#
test allows only ~1e-12 relative error, which float32 storage could not carry. A case with a list of max_lr has
one group per entry (the generator's groups each peak at their own rate).

Deterministic: same bytes on every run.
"""
import json
import os
import sys
from collections import OrderedDict

import torch
import torch.nn.functional as F

import architectures
from generate import randomize, write_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "trainer")


def gen_wgan_gp():
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


def gen_one_cycle():
    # (max_lr, total_steps, pct_start, div_factor, final_div_factor): the trainer's defaults; PyTorch's; DeOldify's
    # warm-up-heavy pretraining (pct_start 0.8) and its near-immediate peak (1e-8: the warm-up ends before step 0);
    # a warm-up ending between steps (0.3 * 7 - 1 = 1.1); the one-step cycle; two groups (generator, encoder x 0.1).
    cases = [
        ("trainer_defaults", 1e-3, 100, 0.25, 25.0, 1e4),
        ("pytorch_defaults", 3e-4, 37, 0.3, 25.0, 1e4),
        ("deoldify_pretrain", 1e-3, 50, 0.8, 25.0, 1e4),
        ("immediate_peak", 3e-4, 23, 1e-8, 25.0, 1e4),
        ("fractional_warm_up", 2e-4, 7, 0.3, 10.0, 100.0),
        ("one_step", 1e-2, 1, 0.25, 25.0, 1e4),
        ("two_groups", [1e-3, 1e-4], 40, 0.25, 4.0, 3.0),
    ]
    out = []
    for name, max_lr, total, pct, div, final_div in cases:
        groups = max_lr if isinstance(max_lr, list) else [max_lr]
        opt = torch.optim.Adam([{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in groups], lr=1.0)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=total, pct_start=pct,
                                                    anneal_strategy="cos", cycle_momentum=False, div_factor=div,
                                                    final_div_factor=final_div, three_phase=False)
        lrs = [[g["lr"] for g in opt.param_groups]]
        for _ in range(total - 1):
            opt.step()
            sched.step()
            lrs.append([g["lr"] for g in opt.param_groups])
        out.append(OrderedDict(name=name, max_lr=groups, total_steps=total, pct_start=pct, div_factor=div,
                               final_div_factor=final_div, lr=[list(r) for r in zip(*lrs)]))
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "one_cycle_lr.json")
    doc = OrderedDict(torch=torch.__version__, cases=out)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"{os.path.getsize(path):9d}  {path}")


def gen_class_loss():
    """3. tests/golden/fixtures/trainer/class_loss.safetensors, read by tests/Colorize.Trainer.Tests/ClassLossTests.cs:
    the classLoss of a resnet-unet with abHead "classes" (Zhang et al. 2016, section 2.1) on a small batch. centres:
    the in-gamut bins of 10 (architectures.srgb_gamut_centres, from the colour-space formulas); in/ab: true ab/110
    (uniform over +-100 ab units, some out of gamut); in/logits: N x Q x H x W; in/weights: per-pixel rarity weights.
    target: each pixel's 5 nearest centres weighted by exp(-d^2 / (2 sigma^2)), sigma 5, normalised (torch.topk on the
    distances, float64); loss = mean over pixels of -sum_q target_q log_softmax(logits)_q and grad/logits its gradient;
    loss_weighted, grad_weighted/logits the same with each pixel's cross-entropy times its weight."""
    g = torch.Generator().manual_seed(1414)
    centres = torch.tensor(architectures.srgb_gamut_centres(10), dtype=torch.float64)
    n, h, w, k, sigma = 2, 3, 5, 5, 5.0
    ab = (torch.rand((n, 2, h, w), generator=g) * 200 - 100).float() / 110
    logits = (torch.randn((n, len(centres), h, w), generator=g) * 3).float()
    weights = (torch.rand((n, 1, h, w), generator=g) * 2.7 + 0.3).float()

    pix = ab.double().permute(0, 2, 3, 1).reshape(-1, 2) * 110
    d2 = ((pix[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    near_d2, near = torch.topk(d2, k, dim=1, largest=False)
    wts = torch.exp(-near_d2 / (2 * sigma * sigma))
    wts = wts / wts.sum(1, keepdim=True)
    target = torch.zeros_like(d2).scatter_(1, near, wts)
    target = target.reshape(n, h, w, -1).permute(0, 3, 1, 2).contiguous()

    io = OrderedDict()
    io["centres"] = centres.float()
    io["in/ab"] = ab
    io["in/logits"] = logits
    io["in/weights"] = weights
    io["target"] = target.float()
    for suffix, pixel_weights in (("", None), ("_weighted", weights.double())):
        x = logits.double().requires_grad_(True)
        ce = -(target * F.log_softmax(x, 1)).sum(1, keepdim=True)
        loss = (ce if pixel_weights is None else ce * pixel_weights).mean()
        loss.backward()
        io[f"loss{suffix}"] = loss.detach().float().reshape(1)
        io[f"grad{suffix}/logits"] = x.grad.float()
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "class_loss.safetensors")
    write_safetensors(path, io, {"classLoss": json.dumps(dict(binSize=10, sigma=sigma, neighbours=k))})
    print(f"{os.path.getsize(path):9d}  {path}: Q {len(centres)}, loss {io['loss'].item():.5f}, "
          f"weighted {io['loss_weighted'].item():.5f}")


def main(names):
    gens = {"wgan_gp": gen_wgan_gp, "one_cycle": gen_one_cycle, "class_loss": gen_class_loss}
    for name in names or gens:
        gens[name]()


if __name__ == "__main__":
    main(sys.argv[1:])

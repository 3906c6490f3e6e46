#!/usr/bin/python3
"""Times one training step of each colorize-train recipe in PyTorch, for comparison with `colorize-train bench`
(trainer/Colorize.Trainer/Bench.cs), which times the same step of the same networks in C#.

Usage:
  /usr/bin/python3 tests/Colorize.Benchmarks/pytorch/bench_training_steps.py [--size 128] [--batch 8] [--threads 2]
                                                                             [--rounds 7] [--warmup 2] [recipe ...]

The networks are built from the recipe files in trainer/Colorize.Trainer/Recipes/ with tests/golden/architectures.py
(the PyTorch twins of the engine's architectures, same state-dict keys), on a synthetic batch (L uniform in [-1, 1],
ab uniform in [-0.3, 0.3]). A step is what one batch costs in the recipe's main phase, exactly as Bench.cs does it:
  unet-l1            forward, L1, backward, Adam
  pix2pix            critic step (BCE, real and fake pairs) + generator step (BCE + 100 L1) reusing the forward
  wgan-gp            critic step (Wasserstein + gradient penalty with create_graph) + 2 generator steps
  resnet-unet-nogan  critic step (BCE on no-grad fakes) + generator step (BCE + 100 L1): the two turns of NoGAN's
                     adaptive switch
The critic's parameters do not require grad during generator steps (as in the trainer). Prints a Markdown table of
the median (and minimum) milliseconds per step and images per second.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "golden"))
import architectures  # noqa: E402

RECIPES = os.path.join(ROOT, "trainer", "Colorize.Trainer", "Recipes")


def strip_comments(text):
    """Removes // comments outside strings (the recipe files are JSON with comments)."""
    out, in_string, i = [], False, 0
    while i < len(text):
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def load_recipe(name):
    with open(os.path.join(RECIPES, name + ".json"), encoding="utf-8") as f:
        return json.loads(strip_comments(f.read()))


def set_requires_grad(module, value):
    for p in module.parameters():
        p.requires_grad_(value)


def make_step(recipe, size, batch):
    gan = recipe.get("gan") or {}
    loss_kind = gan.get("loss", "bce")
    g = architectures.build(recipe["generator"]["name"], recipe["generator"].get("hyperparameters")).train()
    lr, betas = recipe["learningRate"], (recipe["beta1"], recipe["beta2"])
    l1_weight = recipe.get("l1Weight", 1.0)
    opt_g = torch.optim.Adam(g.parameters(), lr=lr, betas=betas)
    x = torch.rand(batch, 1, size, size) * 2 - 1
    ab = torch.rand(batch, 2, size, size) * 0.6 - 0.3
    spec = recipe.get("discriminator")
    if spec is None:
        def l1_step():
            opt_g.zero_grad(set_to_none=True)
            loss = F.l1_loss(g(x), ab) * l1_weight
            loss.backward()
            opt_g.step()
        return "L1 step", l1_step

    d = architectures.build(spec["name"], spec.get("hyperparameters")).train()
    opt_d = torch.optim.Adam(d.parameters(), lr=lr * gan.get("criticLrMultiplier", 1.0), betas=betas)
    real_label = recipe.get("realLabel", 1.0)

    def critic_step(fake_ab):
        opt_d.zero_grad(set_to_none=True)
        real = torch.cat([x, ab], 1)
        fake = torch.cat([x, fake_ab.detach()], 1)
        if loss_kind == "wasserstein":
            alpha = torch.rand(batch, 1, 1, 1)
            distance = d(fake).mean() - d(real).mean()
            x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
            scores = d(x_hat)
            grad, = torch.autograd.grad(scores, x_hat, torch.ones_like(scores), create_graph=True)
            penalty = ((grad.reshape(batch, -1).norm(2, dim=1) - 1) ** 2).mean() * gan.get("gradientPenalty", 10.0)
            loss = distance + penalty
        elif loss_kind == "hinge":
            loss = (F.relu(1 - d(real)).mean() + F.relu(1 + d(fake)).mean()) * 0.5
        else:
            rs, fs = d(real), d(fake)
            loss = (F.binary_cross_entropy_with_logits(rs, torch.full_like(rs, real_label))
                    + F.binary_cross_entropy_with_logits(fs, torch.zeros_like(fs))) * 0.5
        loss.backward()
        opt_d.step()

    def generator_step(fake_ab):
        opt_g.zero_grad(set_to_none=True)
        set_requires_grad(d, False)
        scores = d(torch.cat([x, fake_ab], 1))
        if loss_kind == "bce":
            adv = F.binary_cross_entropy_with_logits(scores, torch.ones_like(scores))
        else:
            adv = -scores.mean()
        loss = adv * gan.get("adversarialWeight", 1.0) + F.l1_loss(fake_ab, ab) * l1_weight
        loss.backward()
        opt_g.step()
        set_requires_grad(d, True)

    if gan.get("criticLossThreshold") is not None:
        def adaptive_step():
            with torch.no_grad():
                fake = g(x)
            critic_step(fake)
            generator_step(g(x))
        return "critic step + generator step", adaptive_step

    steps = gan.get("generatorStepsPerCriticStep", 1)

    def fixed_step():
        fake = g(x)
        critic_step(fake)
        for i in range(steps):
            generator_step(fake if i == 0 else g(x))
    gp = " (GP)" if loss_kind == "wasserstein" else ""
    return f"critic step{gp} + {steps} generator step(s)", fixed_step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("recipes", nargs="*", default=["unet-l1", "pix2pix", "resnet-unet-nogan", "wgan-gp"])
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"PyTorch {torch.__version__}: {args.size}x{args.size}, batch {args.batch}, {args.threads} thread(s), "
          f"median of {args.rounds} rounds after {args.warmup} warm-up")
    print("| recipe | step | median ms | min ms | images/s |")
    print("| --- | --- | --- | --- | --- |")
    for name in args.recipes:
        what, step = make_step(load_recipe(name), args.size, args.batch)
        for _ in range(args.warmup):
            step()
        samples = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            step()
            samples.append((time.perf_counter() - t0) * 1000)
        median = statistics.median(samples)
        print(f"| {name} | {what} | {median:.0f} | {min(samples):.0f} | {args.batch / (median / 1000):.2f} |", flush=True)


if __name__ == "__main__":
    main()

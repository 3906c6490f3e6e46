#!/usr/bin/python3
"""Times the model-level work of docs/benchmarks.md in PyTorch on this machine, for comparison with
Colorize.Benchmarks' ModelBenchmarks: the pix2pix unet_256 forward at 256x256 (eval, no grad, batch 1) and one
training step (forward, L1 loss, backward, Adam) of the 128x128 U-Net (unet_128) at batch 16.

Usage: /usr/bin/python3 tests/Colorize.Benchmarks/pytorch/bench_models.py [--threads 1 2] [--repeats N]
Prints a Markdown table; the architecture mirrors core/Colorize.Engine/Architectures/Pix2PixUnet.cs.
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn


class UnetSkipBlock(nn.Module):
    def __init__(self, outer_nc, inner_nc, input_nc=None, submodule=None, outermost=False, innermost=False,
                 use_dropout=False):
        super().__init__()
        self.outermost = outermost
        input_nc = outer_nc if input_nc is None else input_nc
        downconv = nn.Conv2d(input_nc, inner_nc, 4, 2, 1, bias=False)
        if outermost:
            model = [downconv, submodule, nn.ReLU(), nn.ConvTranspose2d(inner_nc * 2, outer_nc, 4, 2, 1), nn.Tanh()]
        elif innermost:
            model = [nn.LeakyReLU(0.2), downconv, nn.ReLU(), nn.ConvTranspose2d(inner_nc, outer_nc, 4, 2, 1, bias=False),
                     nn.BatchNorm2d(outer_nc)]
        else:
            model = [nn.LeakyReLU(0.2), downconv, nn.BatchNorm2d(inner_nc), submodule, nn.ReLU(),
                     nn.ConvTranspose2d(inner_nc * 2, outer_nc, 4, 2, 1, bias=False), nn.BatchNorm2d(outer_nc)]
            if use_dropout:
                model.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*model)

    def forward(self, x):
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    def __init__(self, input_nc=1, output_nc=2, num_downs=8, ngf=64, use_dropout=True):
        super().__init__()
        block = UnetSkipBlock(ngf * 8, ngf * 8, innermost=True)
        for _ in range(num_downs - 5):
            block = UnetSkipBlock(ngf * 8, ngf * 8, submodule=block, use_dropout=use_dropout)
        block = UnetSkipBlock(ngf * 4, ngf * 8, submodule=block)
        block = UnetSkipBlock(ngf * 2, ngf * 4, submodule=block)
        block = UnetSkipBlock(ngf, ngf * 2, submodule=block)
        self.model = UnetSkipBlock(output_nc, ngf, input_nc=input_nc, submodule=block, outermost=True)

    def forward(self, x):
        return self.model(x)


def timed(fn, repeats, warmup=2):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    torch.manual_seed(0)
    print(f"PyTorch {torch.__version__}, {torch.backends.mkldnn.is_available() and 'oneDNN' or 'no oneDNN'}")
    print("| work | threads | PyTorch median (ms) |")
    print("| --- | --- | --- |")
    for threads in args.threads:
        torch.set_num_threads(threads)
        net = UnetGenerator(num_downs=8).eval()
        x = torch.randn(1, 1, 256, 256)
        with torch.no_grad():
            t = timed(lambda: net(x), args.repeats)
        print(f"| unet_256 forward, 1×1×256×256, eval | {threads} | {t * 1000:.1f} |")

        net = UnetGenerator(num_downs=7).train()
        opt = torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.5, 0.999))
        x = torch.randn(16, 1, 128, 128)
        target = torch.rand(16, 2, 128, 128) * 2 - 1

        def step():
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.l1_loss(net(x), target)
            loss.backward()
            opt.step()

        t = timed(step, max(2, args.repeats // 2), warmup=1)
        print(f"| unet_128 training step, batch 16 (fwd+L1+bwd+Adam) | {threads} | {t * 1000:.1f} |")


if __name__ == "__main__":
    main()

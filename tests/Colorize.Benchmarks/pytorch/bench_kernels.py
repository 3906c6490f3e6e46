#!/usr/bin/python3
"""Times in PyTorch the same work as tests/Colorize.Benchmarks/Tensors (GemmBenchmarks, ConvBenchmarks).

Run with Debian's Python, which has python3-torch:

    /usr/bin/python3 tests/Colorize.Benchmarks/pytorch/bench_kernels.py [--threads 1 2] [--quick]
        [--dotnet TABLE.md]

For each thread count T it calls torch.set_num_threads(T) and openblas_set_num_threads(T), times every case (best of five timed repeats
after a warm-up; a repeat runs the case enough times to last about 0.2 s) and prints a Markdown table with
milliseconds, GFLOP/s (a multiply-add counts 2) and GFLOP per CPU-second of the process. torch.mm goes to
the BLAS PyTorch was built against (OpenBLAS on Debian; see torch.__config__.show()), convolutions to
oneDNN (mkldnn) when enabled.

With --dotnet, TABLE.md is the output of `dotnet run -c Release --project tests/Colorize.Benchmarks --
kernel-table 1 2` (the same cases, timed the same way); the script then prints one side-by-side table
with the ratio of .NET to PyTorch throughput and each side's GFLOP per CPU-second. With --dotnet-cmd "COMMAND" the script runs
`COMMAND <threads>` itself (e.g. "dotnet artifacts/bin/Colorize.Benchmarks/release/Colorize.Benchmarks.dll
kernel-table"), alternating with its own measurements for --rounds rounds and keeping each side's best time
per case: on a machine shared with other work this compares the two under the same conditions.
"""

import argparse
import ctypes
import platform
import shlex
import subprocess
import time

import torch
import torch.nn.functional as F

# name, M, N, K: the same list as GemmBenchmarks.Cases().
GEMM_CASES = [
    ("square 256", 256, 256, 256),
    ("square 512", 512, 512, 512),
    ("square 1024", 1024, 1024, 1024),
    ("square 2048", 2048, 2048, 2048),
    ("conv 1→64 @256² (64×16384×16)", 64, 128 * 128, 16),
    ("conv 64→128 @128² (128×4096×1024)", 128, 64 * 64, 1024),
    ("conv 128→256 @64² (256×1024×2048)", 256, 32 * 32, 2048),
    ("conv 256→512 @32² (512×256×4096)", 512, 16 * 16, 4096),
    ("conv 512→512 @8² (512×16×8192)", 512, 4 * 4, 8192),
]

# name, transposed, in_channels, out_channels, input size, kernel, stride, padding: ConvBenchmarks.Cases().
CONV_CASES = [
    ("conv 1→64 4×4 s2 @256²", False, 1, 64, 256, 4, 2, 1),
    ("conv 128→256 4×4 s2 @64²", False, 128, 256, 64, 4, 2, 1),
    ("conv 512→512 4×4 s2 @8²", False, 512, 512, 8, 4, 2, 1),
    ("convT 256→64 4×4 s2 @64²→128²", True, 256, 64, 64, 4, 2, 1),
]


def set_threads(threads):
    """torch.set_num_threads for PyTorch's own kernels and oneDNN, and the same for OpenBLAS.

    Debian's PyTorch reaches OpenBLAS through the generic libblas.so.3, so it does not know to limit
    OpenBLAS's thread pool: without openblas_set_num_threads, torch.mm keeps using every core at T = 1.
    """
    torch.set_num_threads(threads)
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))  # make sure the BLAS is loaded
    paths = sorted({line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line.lower() and ".so" in line})
    for path in paths:
        lib = ctypes.CDLL(path)
        if hasattr(lib, "openblas_set_num_threads"):
            lib.openblas_set_num_threads(threads)
            if lib.openblas_get_num_threads() != threads:
                raise RuntimeError(f"OpenBLAS did not accept {threads} threads")
            return "OpenBLAS"
    return "see torch.__config__.show()"


def best_seconds(fn, min_time=0.2, repeats=5):
    """Best wall time and best process CPU time per call."""
    fn()  # warm-up (and oneDNN primitive creation)
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-6)
    inner = max(1, int(min_time / once))
    best = best_cpu = float("inf")
    for _ in range(repeats):
        cpu = time.process_time()
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, (time.perf_counter() - start) / inner)
        best_cpu = min(best_cpu, max(time.process_time() - cpu, 1e-9) / inner)
    return best, best_cpu


def gemm_rows(threads, repeats):
    rows = []
    gen = torch.Generator().manual_seed(42)
    for name, m, n, k in GEMM_CASES:
        a = torch.rand(m, k, generator=gen) - 0.5
        b = torch.rand(k, n, generator=gen) - 0.5
        c = torch.empty(m, n)
        seconds = best_seconds(lambda: torch.mm(a, b, out=c), repeats=repeats)
        rows.append(("SGEMM", name, threads, seconds, 2.0 * m * n * k))
    return rows


def conv_rows(threads, repeats):
    rows = []
    gen = torch.Generator().manual_seed(42)
    for name, transposed, cin, cout, size, k, stride, pad in CONV_CASES:
        x = torch.rand(1, cin, size, size, generator=gen) - 0.5
        if transposed:
            w = torch.rand(cin, cout, k, k, generator=gen) - 0.5
            y = F.conv_transpose2d(x, w, stride=stride, padding=pad)
            # A transposed convolution does the multiply-adds of the convolution it is the adjoint of.
            flops = 2.0 * x.numel() * cout * k * k
        else:
            w = torch.rand(cout, cin, k, k, generator=gen) - 0.5
            y = F.conv2d(x, w, stride=stride, padding=pad)
            flops = 2.0 * y.numel() * cin * k * k
        bias = torch.rand(cout, generator=gen) - 0.5
        dy = torch.rand(y.shape, generator=gen) - 0.5

        def backward(mask):
            return torch.ops.aten.convolution_backward(
                dy, x, w, [cout], [stride, stride], [pad, pad], [1, 1], transposed, [0, 0], 1, mask)

        if transposed:
            forward = lambda: F.conv_transpose2d(x, w, bias, stride=stride, padding=pad)
        else:
            forward = lambda: F.conv2d(x, w, bias, stride=stride, padding=pad)
        with torch.no_grad():
            for label, fn in (
                ("Forward", forward),
                ("BackwardInput", lambda: backward([True, False, False])),
                ("BackwardWeight", lambda: backward([False, True, True])),
            ):
                rows.append((label, name, threads, best_seconds(fn, repeats=repeats), flops))
    return rows


def parse_dotnet_table(text):
    """Rows of the kernel-table output: (work, case, threads) -> (ms, GFLOP/s, GFLOP per CPU-s)."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[2].isdigit():
            rows[(cells[0], cells[1], int(cells[2]))] = tuple(float(c) for c in cells[3:])
    return rows


def keep_best(best, rows):
    """Merges rows into best, keeping the shorter time (first field) per key."""
    for key, value in rows.items():
        if key not in best or value[0] < best[key][0]:
            best[key] = value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--dotnet", help="kernel-table output of the .NET benchmarks to put side by side")
    parser.add_argument("--dotnet-cmd", help="command printing the .NET kernel table; the thread count is appended")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds; each side keeps its best")
    args = parser.parse_args()
    repeats = 2 if args.quick else 5

    dotnet = None
    if args.dotnet:
        with open(args.dotnet, encoding="utf-8") as f:
            dotnet = parse_dotnet_table(f.read())
    elif args.dotnet_cmd:
        dotnet = {}

    torch_best = {}
    flops_of = {}
    for _ in range(max(1, args.rounds)):
        for threads in args.threads:
            if args.dotnet_cmd:
                command = shlex.split(args.dotnet_cmd) + [str(threads)]
                keep_best(dotnet, parse_dotnet_table(subprocess.run(command, check=True, capture_output=True, text=True).stdout))
            blas = set_threads(threads)
            for work, name, t, (seconds, cpu), flops in gemm_rows(threads, repeats) + conv_rows(threads, repeats):
                keep_best(torch_best, {(work, name, t): (seconds, cpu)})
                flops_of[(work, name, t)] = flops

    print(f"PyTorch {torch.__version__}, {platform.processor() or platform.machine()}, BLAS: {blas}, "
          f"mkldnn enabled: {torch.backends.mkldnn.is_available()}, rounds: {max(1, args.rounds)}")
    print()
    if dotnet is None:
        print("| Work | Case | Threads | ms | GFLOP/s | GFLOP per CPU-s |")
        print("| --- | --- | ---: | ---: | ---: | ---: |")
    else:
        print("| Work | Case | Threads | .NET ms | PyTorch ms | .NET GFLOP/s | PyTorch GFLOP/s | .NET / PyTorch "
              "| .NET GFLOP per CPU-s | PyTorch GFLOP per CPU-s |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for key, (seconds, cpu) in torch_best.items():
        work, name, t = key
        flops = flops_of[key]
        torch_gflops = flops / seconds / 1e9
        if dotnet is None:
            print(f"| {work} | {name} | {t} | {seconds * 1e3:.3f} | {torch_gflops:.1f} | {flops / cpu / 1e9:.1f} |")
        elif key in dotnet:
            ms, gflops, dotnet_cpu = dotnet[key]
            print(f"| {work} | {name} | {t} | {ms:.3f} | {seconds * 1e3:.3f} | {gflops:.1f} | {torch_gflops:.1f} | "
                  f"{gflops / torch_gflops:.2f} | {dotnet_cpu:.1f} | {flops / cpu / 1e9:.1f} |")


if __name__ == "__main__":
    main()

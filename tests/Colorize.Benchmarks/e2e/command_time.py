#!/usr/bin/python3
"""The whole `colorize` command on one photo, several builds side by side (issue 15 §4).

Runs each build's command in turn, round after round (so a change in the machine's load touches every build alike),
under /usr/bin/time, and prints per build and output format the medians of: the seconds of the `[1/1]` line (decode,
colorize, encode), the process's wall time, its CPU time (user + sys, which waiting for a core does not add to, so it
compares builds on a loaded machine where wall times cannot) and its peak RSS; /proc/loadavg before and after.

Usage (each --app a folder with colorize.dll; label=folder):
  /usr/bin/python3 tests/Colorize.Benchmarks/e2e/command_time.py real24 --out /tmp/czimg/real24.jpg
  /usr/bin/python3 tests/Colorize.Benchmarks/e2e/command_time.py run --image /tmp/czimg/real24.jpg \\
      --app before=/tmp/art-before/bin/Colorize.Host/release --app after=host-adapters/Colorize.Host/bin/Release/net10.0 \\
      --formats jpg,png --rounds 5 --threads 2
`real24` makes the test photo of docs/benchmarks.md ("PNG encoding"): Kleiber_by_Lukas_Baubkus.jpg from Debian's
lomiri-wallpapers (default: the copy under /work/data/photos) resized with Lanczos to 6000x4000 and saved as JPEG q90,
with Debian's python3 and PIL; `--size WxH` makes the other rows' photos from the same source (1 MP: 1224x816,
100 MP: 12240x8160). Outputs go to a scratch folder; every build's outputs are compared byte for byte
with the first build's (a difference is printed: the builds do not compute the same pixels).
Extra arguments after `--` go to every command (e.g. -- --png-compression 6). --env NAME=VALUE sets a variable for
one build (label:NAME=VALUE), e.g. to compare runtime settings of one build.
"""
import argparse
import filecmp
import os
import re
import statistics
import subprocess
import sys
import tempfile

DEFAULT_PHOTO = "/work/data/photos/lomiri-wallpapers-20.04/Kleiber_by_Lukas_Baubkus.jpg"


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def real24(args):
    from PIL import Image

    width, height = (int(v) for v in args.size.lower().split("x"))
    Image.MAX_IMAGE_PIXELS = None  # the 100 MP row is larger than PIL's bomb guard; the source is a known photo
    Image.open(args.photo).convert("RGB").resize((width, height), Image.LANCZOS).save(args.out, quality=90)
    print(f"{args.out}: {os.path.getsize(args.out) / 1e6:.1f} MB")


def run_one(app, image, out, threads, extra, env):
    cmd = ["/usr/bin/time", "-f", "TIME %e %U %S %M", "dotnet", os.path.join(app, "colorize.dll"), image, "-o", out,
           "--overwrite"] + (["--threads", str(threads)] if threads else []) + extra
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    text = done.stdout + done.stderr
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited with {done.returncode}:\n{text}")
    photo = re.search(r"\[1/1\] .* \(([0-9.]+) s\)", text)
    wall, user, system, rss = re.search(r"TIME ([0-9.]+) ([0-9.]+) ([0-9.]+) ([0-9]+)", text).groups()
    return float(photo.group(1)), float(wall), float(user) + float(system), int(rss) / 1024


def run(args):
    apps = [a.split("=", 1) for a in args.app]
    envs = {label: dict(os.environ) for label, _ in apps}
    for spec in args.env:
        label, assignment = spec.split(":", 1)
        name, value = assignment.split("=", 1)
        envs[label][name] = value
    formats = args.formats.split(",")
    scratch = tempfile.mkdtemp(prefix="colorize-command-time-")
    results = {(label, f): [] for label, _ in apps for f in formats}
    start_load = load()
    for r in range(args.rounds):
        for f in formats:
            for label, app in apps:
                out = os.path.join(scratch, f"{label}.{f}")
                results[(label, f)].append(run_one(app, args.image, out, args.threads, args.extra, envs[label]))
                first = os.path.join(scratch, f"{apps[0][0]}.{f}")
                if r == 0 and label != apps[0][0] and not filecmp.cmp(first, out, shallow=False):
                    print(f"warning: {label}.{f} differs from {apps[0][0]}.{f}")
        print(f"round {r + 1}/{args.rounds} done, load {load()}", file=sys.stderr)
    print(f"{args.image}, {args.rounds} rounds, threads {args.threads or 'default'}, load {start_load} -> {load()}")
    print("| Build | Output | Per photo ([1/1]) | Process wall | CPU (user+sys) | Peak RSS |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for (label, f), rows in results.items():
        med = [statistics.median(col) for col in zip(*rows)]
        print(f"| {label} | {f} | {med[0]:.2f} s | {med[1]:.2f} s | {med[2]:.2f} s | {med[3]:.0f} MB |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    m = sub.add_parser("real24")
    m.add_argument("--photo", default=DEFAULT_PHOTO)
    m.add_argument("--out", required=True)
    m.add_argument("--size", default="6000x4000", help="WxH of the photo made (default the 24 MP row's 6000x4000)")
    r = sub.add_parser("run")
    r.add_argument("--image", required=True)
    r.add_argument("--app", action="append", required=True, help="label=folder with colorize.dll (repeatable)")
    r.add_argument("--env", action="append", default=[], help="label:NAME=VALUE for one build (repeatable)")
    r.add_argument("--formats", default="jpg,png")
    r.add_argument("--rounds", type=int, default=5)
    r.add_argument("--threads", type=int, default=2, help="--threads for the command; 0 leaves it out")
    r.add_argument("extra", nargs="*", help="after --: more arguments for every command")
    args = ap.parse_args()
    real24(args) if args.what == "real24" else run(args)


if __name__ == "__main__":
    main()

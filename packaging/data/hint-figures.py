#!/usr/bin/python3
"""Measures a hint pack with 0, 1, 2, 5, 10 and 20 colour hints taken from the truth, beside the automatic pack and grey.

usage: hint-figures.py TRAINER_DLL HINT_PACK AUTOMATIC_PACK DATA_DIR OUT_DIR [--hints 0,1,2,5,10,20] [--threads 2]
Runs `colorize-train eval --pack HINT_PACK --data DATA_DIR --hints N --json` for every N (hints placed and coloured
as the trainer's eval help says: Zhang et al. 2017's evaluation, the patch's mean true colour, a fixed sequence per
photo) and `colorize-train eval --pack AUTOMATIC_PACK --data DATA_DIR --json` once, each into OUT_DIR (an existing
JSON is reused), and prints a Markdown table: PSNR, AuC, ab MAE and colourfulness per hint count, the automatic pack's
row and the all-grey baseline. Standard library only.
"""
import json
import os
import subprocess
import sys


def evaluate(trainer, pack, data, path, threads, hints=None):
    if not os.path.exists(path):
        cmd = ["dotnet", trainer, "eval", "--pack", pack, "--data", data, "--threads", str(threads), "--json"]
        if hints is not None:
            cmd += ["--hints", str(hints)]
        with open(path + ".tmp", "w") as f:
            subprocess.run(cmd, check=True, stdout=f)
        os.replace(path + ".tmp", path)
    return json.load(open(path))


def main():
    args = sys.argv[1:]
    counts, threads = [0, 1, 2, 5, 10, 20], 2
    if "--hints" in args:
        i = args.index("--hints")
        counts = [int(c) for c in args[i + 1].split(",")]
        del args[i:i + 2]
    if "--threads" in args:
        i = args.index("--threads")
        threads = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 5:
        sys.exit(__doc__)
    trainer, hint_pack, auto_pack, data, out = args
    os.makedirs(out, exist_ok=True)
    auto = evaluate(trainer, auto_pack, data, os.path.join(out, "automatic.json"), threads)
    rows = [(f"{n}", evaluate(trainer, hint_pack, data, os.path.join(out, f"hints-{n}.json"), threads, n)) for n in counts]
    print(f"| hints | PSNR dB | AuC % | ab MAE | CF | cast |")
    print("|---:|---:|---:|---:|---:|---:|")
    for label, ev in rows:
        m = ev["model"]
        print(f"| {label} | {m['psnr']:.2f} | {m['auc']:.2f} | {m['abMae']:.2f} | {m['colorfulness']:.1f} | {m['cast']:.2f} |")
    m, g = auto["model"], auto["grey"]
    print(f"| automatic pack ({auto.get('pack', auto_pack)}) | {m['psnr']:.2f} | {m['auc']:.2f} | {m['abMae']:.2f} | {m['colorfulness']:.1f} | {m['cast']:.2f} |")
    print(f"| all-grey | {g['psnr']:.2f} | {g['auc']:.2f} | {g['abMae']:.2f} | 0 | {g['cast']:.2f} |")
    print(f"\n{auto['images']} photos, truth colourfulness {auto['colorfulnessTruth']:.1f}")


if __name__ == "__main__":
    main()

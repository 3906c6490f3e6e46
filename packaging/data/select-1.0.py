#!/usr/bin/env python3
"""Chooses the 1.0 default pack's checkpoint and chroma gain on the validation split (never on the test split).

usage: select-1.0.py TRAINER_DLL RUN_DIR VALIDATION_DIR OUT_DIR EPOCH... [--gains 1,1.15,1.3,1.4,1.7,2] [--render-size 256]
Each EPOCH (a checkpoint kept by keepEveryEpochs) is packed as shipped (float16) into OUT_DIR/eN and scored with
`colorize-train eval --data VALIDATION_DIR --strength G` for every gain G (the pack's input.chromaGain acts exactly as
the user's strength does; an eval JSON already in OUT_DIR is reused). The rule, as for 0.2/0.3 plus the issue's bar:
  1. beat the all-grey baseline in PSNR and in AuC, with colourfulness at least half the truth's;
  2. of those, the smallest ΔCF + cast (washed-out and tinted models both score high).
Prints a Markdown table and the choice. Standard library only.
"""
import json
import os
import subprocess
import sys


def main():
    args = sys.argv[1:]
    gains, render = [1.0, 1.15, 1.3, 1.4, 1.7, 2.0], 256
    if "--gains" in args:
        i = args.index("--gains")
        gains = [float(g) for g in args[i + 1].split(",")]
        del args[i:i + 2]
    if "--render-size" in args:
        i = args.index("--render-size")
        render = int(args[i + 1])
        del args[i:i + 2]
    trainer, run, validation, out, epochs = args[0], args[1], args[2], args[3], [int(e) for e in args[4:]]
    os.makedirs(out, exist_ok=True)
    rows = []
    for e in epochs:
        pack = os.path.join(out, f"e{e}")
        if not os.path.exists(os.path.join(pack, "manifest.json")):
            subprocess.run(["dotnet", trainer, "pack", run, "--id", "colorize-base", "--version", f"1.0.0-wip.{e}",
                            "--folder", pack, "--checkpoint", f"epoch-{e}", "--dtype", "f16", "--render-size", str(render)],
                           check=True, stdout=subprocess.DEVNULL)
        for g in gains:
            path = os.path.join(out, f"e{e}-val-r{render}-s{g:g}.json")
            if not os.path.exists(path):
                with open(path + ".tmp", "w") as f:
                    subprocess.run(["dotnet", trainer, "eval", "--pack", pack, "--data", validation,
                                    "--render-size", str(render), "--strength", f"{g:g}", "--threads", "2", "--json"],
                                   check=True, stdout=f)
                os.replace(path + ".tmp", path)
            ev = json.load(open(path))
            m, grey = ev["model"], ev["grey"]
            ok = m["psnr"] > grey["psnr"] and m["auc"] > grey["auc"] and m["colorfulness"] >= ev["colorfulnessTruth"] / 2
            rows.append((e, g, m, grey, ev["colorfulnessTruth"], ok))
    print(f"| epoch | gain | PSNR dB | AuC % | CF | ΔCF | cast | ΔCF + cast | passes 1 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for e, g, m, grey, cft, ok in rows:
        print(f"| {e} | {g:g} | {m['psnr']:.2f} | {m['auc']:.2f} | {m['colorfulness']:.1f} | {m['deltaColorfulness']:.1f} "
              f"| {m['cast']:.2f} | {m['deltaColorfulness'] + m['cast']:.2f} | {'yes' if ok else 'no'} |")
    grey, cft = rows[0][3], rows[0][4]
    print(f"| all-grey | | {grey['psnr']:.2f} | {grey['auc']:.2f} | 0 | {grey['deltaColorfulness']:.1f} | {grey['cast']:.2f} | | |")
    print(f"\ntruth colourfulness {cft:.1f}")
    passing = [r for r in rows if r[5]]
    if not passing:
        print("no candidate passes rule 1")
        return
    e, g, m, _, _, _ = min(passing, key=lambda r: r[2]["deltaColorfulness"] + r[2]["cast"])
    print(f"choice: epoch {e}, chroma gain {g:g} (PSNR {m['psnr']:.2f} dB, AuC {m['auc']:.2f}, CF {m['colorfulness']:.1f})")


if __name__ == "__main__":
    main()

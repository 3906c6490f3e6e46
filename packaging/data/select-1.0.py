#!/usr/bin/env python3
"""Chooses the 1.0 default pack's checkpoint and chroma gain on the validation split (never on the test split).

usage: select-1.0.py TRAINER_DLL RUN_DIR VALIDATION_DIR OUT_DIR EPOCH... [--gains 1,1.15,1.3,1.4,1.7,2] [--render-size 256]
                     [--faces FACES_DIR]
Each EPOCH (a checkpoint kept by keepEveryEpochs) is packed as shipped (float16) into OUT_DIR/eN and scored with
`colorize-train eval --data VALIDATION_DIR --strength G` for every gain G (the pack's input.chromaGain acts exactly as
the user's strength does; an eval JSON already in OUT_DIR is reused). The rule, as for 0.2/0.3 plus the issue's bar:
  1. beat the all-grey baseline in PSNR and in AuC, with colourfulness at least half the truth's;
  2. of those, the smallest ΔCF + cast (washed-out and tinted models both score high).
With --faces (1.0.1 on): rule 1 also asks the candidate to beat grey in PSNR on FACES_DIR, with a colourfulness there
no higher than the truth's (skin that is more colourful than the truth's is what "red faces" are), close-up face photos that
are in no split (the validation split has none: 1.0.0's choice, epoch 12 at gain 1.7, painted faces red, and rule 1
could not see it). For 1.0.1 that is the 24 dlib face crops of curated-1.0.tsv left out of every split
(make-split-1.0.py keeps at most four crops a person): the same five men as the train and test crops, other photos.
Scored the same way into OUT_DIR/eN-faces-rR-sG.json.
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
    faces = None
    if "--faces" in args:
        i = args.index("--faces")
        faces = args[i + 1]
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
            face = None
            if faces is not None:
                fpath = os.path.join(out, f"e{e}-faces-r{render}-s{g:g}.json")
                if not os.path.exists(fpath):
                    with open(fpath + ".tmp", "w") as f:
                        subprocess.run(["dotnet", trainer, "eval", "--pack", pack, "--data", faces, "--render-size",
                                        str(render), "--strength", f"{g:g}", "--threads", "2", "--json"], check=True, stdout=f)
                    os.replace(fpath + ".tmp", fpath)
                face = json.load(open(fpath))
                ok = (ok and face["model"]["psnr"] > face["grey"]["psnr"]
                      and face["model"]["colorfulness"] <= face["colorfulnessTruth"])
            rows.append((e, g, m, grey, ev["colorfulnessTruth"], ok, face))
    extra = " faces PSNR dB | faces CF |" if faces else ""
    print(f"| epoch | gain | PSNR dB | AuC % | CF | ΔCF | cast | ΔCF + cast |{extra} passes 1 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if faces else "") + "---|")
    for e, g, m, grey, cft, ok, face in rows:
        cells = f" {face['model']['psnr']:.2f} | {face['model']['colorfulness']:.1f} |" if face else ""
        print(f"| {e} | {g:g} | {m['psnr']:.2f} | {m['auc']:.2f} | {m['colorfulness']:.1f} | {m['deltaColorfulness']:.1f} "
              f"| {m['cast']:.2f} | {m['deltaColorfulness'] + m['cast']:.2f} |{cells} {'yes' if ok else 'no'} |")
    grey, cft, face = rows[0][3], rows[0][4], rows[0][6]
    cells = f" {face['grey']['psnr']:.2f} | 0 |" if face else ""
    print(f"| all-grey | | {grey['psnr']:.2f} | {grey['auc']:.2f} | 0 | {grey['deltaColorfulness']:.1f} | {grey['cast']:.2f} | |{cells} |")
    if face:
        print(f"\nface photos: {face['images']}, truth colourfulness {face['colorfulnessTruth']:.1f}")
    print(f"\ntruth colourfulness {cft:.1f}")
    passing = [r for r in rows if r[5]]
    if not passing:
        print("no candidate passes rule 1")
        return
    e, g, m, _, _, _, _ = min(passing, key=lambda r: r[2]["deltaColorfulness"] + r[2]["cast"])
    print(f"choice: epoch {e}, chroma gain {g:g} (PSNR {m['psnr']:.2f} dB, AuC {m['auc']:.2f}, CF {m['colorfulness']:.1f})")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Scores every candidate checkpoint of a run on its validation split and applies the default pack's selection rule.

usage: select-checkpoint.py RUN_DIR OUT_DIR [RENDER_SIZE=192] [TRAINER="dotnet RUN_DIR/.build/.../colorize-train.dll"]
Candidates: the checkpoints kept by --keep-every, plus best (validation PSNR) and last. Each is packed as it would ship
(float16) into OUT_DIR/<candidate>/ and scored with `colorize-train eval --split validation` through the engine's
pipeline at RENDER_SIZE. The rule (validation only; the test split stays untouched until the model card):
  1. it must beat the all-grey baseline in PSNR and in AuC;
  2. of those, the smallest ΔCF + cast: ΔCF (distance of the output's colourfulness from the truth's) is high for a
     timid, washed-out model, the colour cast (distance between the mean predicted and the mean true ab) is high for
     a tinted one, sepia or confidently wrong; both are in the same range (0 to ~70 here), and lower is better.
The grids of the finalists are then looked at (blotches and halos have no metric here).
Prints a Markdown table and the choice; writes OUT_DIR/selection.json. Standard library only.
"""
import json
import os
import subprocess
import sys


def main():
    run, out = sys.argv[1], sys.argv[2]
    render = sys.argv[3] if len(sys.argv) > 3 else "192"
    trainer = (sys.argv[4] if len(sys.argv) > 4 else
               f"dotnet {os.path.join(run, '.build/bin/Colorize.Trainer/release/colorize-train.dll')}").split()
    ckpt = os.path.join(run, "checkpoints")
    kept = sorted(int(f[len("kept-epoch-"):-len(".json")]) for f in os.listdir(ckpt) if f.startswith("kept-epoch-"))
    # (pack --checkpoint value, folder name): folders are named by epoch, so scores cached by an earlier call (while
    # the run was still training) are reused only for the same weights.
    candidates = [(f"epoch-{e}", f"epoch-{e}") for e in kept]
    for pointer in ("best", "last"):
        path = os.path.join(ckpt, f"{pointer}.json")
        if os.path.exists(path):
            e = json.load(open(path))["state"]["epochsCompleted"]
            if e not in kept:
                candidates.append((pointer, f"{pointer}-epoch-{e}"))
    os.makedirs(out, exist_ok=True)
    rows = []
    for c, name in candidates:
        folder = os.path.join(out, name)
        if not os.path.exists(os.path.join(folder, "eval.json")):
            # Pack into a scratch folder first: while the run is still training, "best" and "last" can move on
            # between reading the pointer above and packing it, so the folder is named after the packed weights.
            scratch = os.path.join(out, f".{name}.tmp")
            subprocess.run(["rm", "-rf", scratch], check=True)
            subprocess.run(trainer + ["pack", run, "--id", "candidate", "--version", "0.0.1", "--folder", scratch,
                                      "--checkpoint", c, "--dtype", "f16", "--render-size", render],
                           check=True, stdout=subprocess.DEVNULL)
            packed = int(json.load(open(os.path.join(scratch, "manifest.json")))["metrics"]["epoch"])
            if not c.startswith("epoch-"):
                name = f"{c}-epoch-{packed}"
                folder = os.path.join(out, name)
            result = subprocess.run(trainer + ["eval", "--pack", scratch, "--run", run, "--split", "validation",
                                               "--render-size", render, "--json"], check=True, capture_output=True, text=True)
            with open(os.path.join(scratch, "eval.json"), "w") as f:
                f.write(result.stdout)
            subprocess.run(["rm", "-rf", folder], check=True)
            os.rename(scratch, folder)
        ev = json.load(open(os.path.join(folder, "eval.json")))
        epoch = int(json.load(open(os.path.join(folder, "manifest.json")))["metrics"]["epoch"])
        rows.append((name, epoch, ev["model"], ev["grey"]))
    # Read after packing: a live run may have logged the epochs the pointers moved on to meanwhile.
    metrics = {json.loads(line)["epoch"]: json.loads(line) for line in open(os.path.join(run, "metrics.jsonl"))}
    rows = [(name, epoch, metrics.get(epoch, {}).get("phase", "?"), m, g) for name, epoch, m, g in rows]

    grey = rows[0][4]
    eligible = [r for r in rows if r[3]["psnr"] > grey["psnr"] and r[3]["auc"] > grey["auc"]]
    choice = None
    if eligible:
        choice = min(eligible, key=lambda r: r[3]["deltaColorfulness"] + r[3]["cast"])

    print(f"Validation split of {run} at render size {render}:\n")
    print("| candidate | epoch | phase | PSNR dB | AuC % | ab MAE | CF | ΔCF | cast | ΔCF + cast | beats grey |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for c, epoch, phase, m, _ in rows:
        mark = " **chosen**" if choice and c == choice[0] else ""
        beats = "yes" if any(r[0] == c for r in eligible) else "no"
        print(f"| {c}{mark} | {epoch} | {phase} | {m['psnr']:.2f} | {m['auc']:.2f} | {m['abMae']:.2f} | "
              f"{m['colorfulness']:.1f} | {m['deltaColorfulness']:.1f} | {m['cast']:.2f} | {m['deltaColorfulness'] + m['cast']:.1f} | {beats} |")
    print(f"| all-grey | | | {grey['psnr']:.2f} | {grey['auc']:.2f} | {grey['abMae']:.2f} | {grey['colorfulness']:.1f} "
          f"| {grey['deltaColorfulness']:.1f} | {grey['cast']:.2f} | {grey['deltaColorfulness'] + grey['cast']:.1f} | |")
    print(f"\nchosen: {choice[0] + ' (epoch ' + str(choice[1]) + ')' if choice else 'none beats grey'}")
    with open(os.path.join(out, "selection.json"), "w") as f:
        json.dump({"render": int(render), "choice": choice[0] if choice else None,
                   "rows": [{"candidate": c, "epoch": e, "phase": p, "model": m} for c, e, p, m, _ in rows],
                   "grey": grey}, f, indent=1)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# The recipe comparison of the default pack (issue 7): the four recipes of colorize-train on the same photos, each
# stopped by the same budget of processor time, then every run's best and last checkpoints scored on the
# validation split through the engine's pipeline (colorize-train eval), next to the all-grey baseline.
#   usage: packaging/data/compare/compare-recipes.sh DATA_DIR OUT_DIR [CPU_MINUTES=10] [RENDER_SIZE=192]
# DATA_DIR: the scene-weighted curated photos (packaging/data/curate.sh with curated-scenes.txt).
# The runs go in parallel with one thread each: the budget is processor time, so how the machine is shared changes
# only how long the comparison takes, not what each recipe gets (and one or two threads train the same weights).
# A run interrupted by a crash or a reboot is resumed by running the script again.
set -euo pipefail
data=${1:?usage: compare-recipes.sh DATA_DIR OUT_DIR [CPU_MINUTES] [RENDER_SIZE]}
out=${2:?usage: compare-recipes.sh DATA_DIR OUT_DIR [CPU_MINUTES] [RENDER_SIZE]}
budget=${3:-10}
render=${4:-192}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
# Config files in this folder; pix2pix-l10 is pix2pix with λ = 10 instead of 100 (less pull towards the mean colour).
recipes=(unet-l1 pix2pix pix2pix-l10 wgan-gp resnet-unet-nogan)
mkdir -p "$out"
dotnet build -c Release "$repo/trainer/Colorize.Trainer/Colorize.Trainer.csproj" --artifacts-path "$out/.build" -nologo -v q
train="dotnet $out/.build/bin/Colorize.Trainer/release/colorize-train.dll"

for r in "${recipes[@]}"; do
  if [ -f "$out/run-$r/checkpoints/last.json" ]; then resume=(--resume); else resume=(); fi
  recipe=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["recipe"])' "$here/$r.json")
  $train "$recipe" --config "$here/$r.json" --data "$data" --out "$out/run-$r" --threads 1 --cpu-budget "$budget" "${resume[@]}" > "$out/$r.log" 2>&1 &
done
wait

for r in "${recipes[@]}"; do
  for which in best last; do
    rm -rf "$out/packs/$r-$which"
    $train pack "$out/run-$r" --id "compare-$r-$which" --version 0.0.1 --folder "$out/packs/$r-$which" --checkpoint "$which" > /dev/null
    $train eval --pack "$out/packs/$r-$which" --run "$out/run-$r" --split validation --render-size "$render" --json > "$out/eval-$r-$which.json"
  done
done
python3 "$here/compare-table.py" "$out" "${recipes[@]}" | tee "$out/table.md"

#!/usr/bin/env bash
# Saves the progress of a long default-pack run: packs its current best and last checkpoints (float16, as shipped)
# into a worktree of the branch that keeps intermediate packs, scores them on the validation split, and commits them
# there, so that what the run has learnt survives the loss of the machine or of the run directory.
#   usage: packaging/data/snapshot-pack.sh RUN_DIR WORKTREE [BRANCH=training/colorize-base] [RENDER_SIZE=192] [VERSION=0.2.0]
# The packs are versioned VERSION-wip.<epoch>, VERSION being the release the run is training for.
# WORKTREE is created with `git worktree add` on BRANCH when missing; main's history is not touched.
set -euo pipefail
run=${1:?usage: snapshot-pack.sh RUN_DIR WORKTREE [BRANCH] [RENDER_SIZE] [VERSION]}
tree=${2:?usage: snapshot-pack.sh RUN_DIR WORKTREE [BRANCH] [RENDER_SIZE] [VERSION]}
branch=${3:-training/colorize-base}
render=${4:-192}
version=${5:-0.2.0}
repo=$(cd "$(dirname "$0")/../.." && pwd)
train="dotnet $run/.build/bin/Colorize.Trainer/release/colorize-train.dll"
if [ ! -d "$tree" ]; then
  git -C "$repo" worktree add -q "$tree" -B "$branch"
fi
epoch=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["state"]["epochsCompleted"])' "$run/checkpoints/last.json")
dest="$tree/packaging/packs-wip/$(basename "$run")"
mkdir -p "$dest"
for which in best last; do
  tmp="$dest/.$which.tmp"
  rm -rf "$tmp"
  $train pack "$run" --id colorize-base --version "$version-wip.$epoch" --folder "$tmp" --checkpoint "$which" \
    --dtype f16 --render-size "$render" --license CC-BY-SA-4.0 > /dev/null
  $train eval --pack "$tmp" --run "$run" --split validation --render-size "$render" > "$tmp/validation.txt"
  rm -rf "$dest/$which" && mv "$tmp" "$dest/$which"
done
cp "$run/metrics.jsonl" "$run/config.json" "$dest/"
git -C "$tree" add "packaging/packs-wip/$(basename "$run")"
git -C "$tree" commit -q -m "Intermediate packs of $(basename "$run") after epoch $epoch (best and last, validation scores)" \
  -- "packaging/packs-wip/$(basename "$run")"
echo "committed $dest at epoch $epoch on $branch"

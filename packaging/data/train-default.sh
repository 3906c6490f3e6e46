#!/usr/bin/env bash
# Trains (or resumes) the default pack's run and keeps it going: when the trainer dies (killed, out of memory, a
# reboot of the shell), it is started again with --resume and continues from its last checkpoint.
#   usage: packaging/data/train-default.sh CONFIG.json DATA_DIR RUN_DIR [extra colorize-train flags…]
# The trainer is built once into RUN_DIR/.build so that later edits of the source tree do not change a running run.
# Stops when the trainer exits 0 (all epochs done or its --cpu-budget used up) or after 20 failed starts in a row.
set -uo pipefail
config=${1:?usage: train-default.sh CONFIG.json DATA_DIR RUN_DIR [flags…]}
data=${2:?usage: train-default.sh CONFIG.json DATA_DIR RUN_DIR [flags…]}
run=${3:?usage: train-default.sh CONFIG.json DATA_DIR RUN_DIR [flags…]}
shift 3
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$run"
if [ ! -f "$run/.build/bin/Colorize.Trainer/release/colorize-train.dll" ]; then
  dotnet build -c Release "$repo/trainer/Colorize.Trainer/Colorize.Trainer.csproj" --artifacts-path "$run/.build" -nologo -v q || exit 1
fi
recipe=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["recipe"])' "$config")
failures=0
while :; do
  if [ -f "$run/checkpoints/last.json" ]; then resume=(--resume); else resume=(--config "$config"); fi
  dotnet "$run/.build/bin/Colorize.Trainer/release/colorize-train.dll" "$recipe" --data "$data" --out "$run" "${resume[@]}" "$@" >> "$run/train.log" 2>&1
  status=$?
  [ "$status" -eq 0 ] && { echo "$(date -u +%FT%TZ) finished" >> "$run/train.log"; exit 0; }
  failures=$((failures + 1))
  echo "$(date -u +%FT%TZ) trainer exited with $status; resuming (attempt $failures)" >> "$run/train.log"
  [ "$failures" -ge 20 ] && exit "$status"
  sleep 5
done

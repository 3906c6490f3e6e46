#!/bin/sh
# stop-after.sh RUN_DIR EPOCH: stops RUN_DIR's training (the train-default.sh loop and its trainer) once the
# epoch-EPOCH checkpoint is written, so ablation runs can be compared at equal epochs without running the whole
# schedule. `train-default.sh … RUN_DIR` resumes the run later where it stopped.
run=${1:?usage: stop-after.sh RUN_DIR EPOCH}; e=$(printf %04d "${2:?usage: stop-after.sh RUN_DIR EPOCH}")
while [ ! -f "$run/checkpoints/epoch-$e.safetensors" ]; do sleep 30; done
sleep 20
pkill -f "train-default.sh .* $run( |\$)"; sleep 1; pkill -f "colorize-train.dll .*--out $run( |\$)"
echo "$(date -u +%FT%TZ) stopped after epoch $2" >> "$run/train.log"

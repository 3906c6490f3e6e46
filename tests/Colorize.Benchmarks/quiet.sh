#!/bin/bash
# quiet.sh CMD [ARGS…]: runs CMD (a benchmark) with this machine's training and evaluation processes paused
# (colorize-train training runs and `colorize-train eval`, SIGSTOP), and always resumes them (SIGCONT) afterwards, even
# if CMD fails or is interrupted; CMD is killed after 240 s so a training run is never left paused for long.
# A process already paused on purpose (state T) is left alone and stays paused. Other programs are not paused: check
# `uptime` before trusting a figure.
pids=""
for p in $(pgrep -f "colorize-train.dll (resnet-unet|pix2pix|unet|wgan|eval)"); do
  [ "$(ps -o stat= -p "$p" | cut -c1)" != "T" ] && pids="$pids $p"
done
resume() { [ -n "$pids" ] && kill -CONT $pids 2>/dev/null; }
trap resume EXIT INT TERM
[ -n "$pids" ] && kill -STOP $pids
echo "quiet.sh: paused [$pids] at $(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
timeout 240 "$@"
status=$?
echo "quiet.sh: resumed at $(date -u +%T)" >&2
exit $status

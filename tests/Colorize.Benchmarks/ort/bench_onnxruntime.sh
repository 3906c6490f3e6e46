#!/bin/sh
# The engine against ONNX Runtime 1.32 on the same weights (issue 17 §3), one process, 1 and 2 threads:
# colorize-base's generator at 256², 512², 1024² and ML.NET's ResNet18 at 224², 512². Builds the benchmark and the
# trainer, exports the pack to ONNX with `colorize-train export` when the file is missing or older than the pack's
# weights, then prints the Markdown table (Colorize.Benchmarks onnx-table) and, with --profile, the per-layer profile
# of the 512² generator pass on both sides (onnx-profile). Everything runs under `nice -n 19`.
#
# The figures are publishable only if the 1-minute load average stayed below 1.0 for the whole run on this 2-core
# machine: the script prints `uptime` before and after, and the table prints /proc/loadavg at its start and end.
#
# Usage, from the repository root:
#   tests/Colorize.Benchmarks/ort/bench_onnxruntime.sh [--profile] [--smoke] [-- extra onnx-table options]
#     --smoke    one repeat of one short pass per case and side (proves the harness, measures nothing)
#     --profile  also the per-layer profile (one 512² pass per side, 2 threads)
# Environment: ART (artifacts folder, default /tmp/art), BENCH_DIR (default /tmp/colorize-bench), PACK (default
# packaging/packs/colorize-base), HINTS (colour hints fed to a hint pack's generator on both sides, default 0: zero
# planes; the table and the profile).
set -eu

ART=${ART:-/tmp/art}
BENCH_DIR=${BENCH_DIR:-/tmp/colorize-bench}
PACK=${PACK:-packaging/packs/colorize-base}
ONNX="$BENCH_DIR/$(basename "$PACK").onnx"
PROFILE=0
SMOKE=0
while [ $# -gt 0 ]; do
    case "$1" in
        --profile) PROFILE=1 ;;
        --smoke) SMOKE=1 ;;
        --) shift; break ;;
        *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
    esac
    shift
done

[ -f ColorizePlugins.sln ] || { echo "run from the repository root" >&2; exit 2; }
mkdir -p "$BENCH_DIR"
echo "uptime before: $(uptime)"

nice -n 19 dotnet build -c Release tests/Colorize.Benchmarks --artifacts-path "$ART" -v quiet -nologo
BENCH="$ART/bin/Colorize.Benchmarks/release/Colorize.Benchmarks.dll"

if [ ! -f "$ONNX" ] || [ "$PACK/weights.safetensors" -nt "$ONNX" ] || [ "$PACK/manifest.json" -nt "$ONNX" ]; then
    nice -n 19 dotnet build -c Release trainer/Colorize.Trainer/Colorize.Trainer.csproj --artifacts-path "$ART" -v quiet -nologo
    nice -n 19 dotnet "$ART/bin/Colorize.Trainer/release/colorize-train.dll" export "$PACK" --onnx "$ONNX"
fi

export COLORIZE_BENCH_PACK="$PACK" COLORIZE_BENCH_GENERATOR_ONNX="$ONNX" COLORIZE_BENCH_HINTS="${HINTS:-0}"
if [ "$SMOKE" = 1 ]; then
    set -- --rounds 1 --repeats 1 --min-time 0 "$@"
fi

nice -n 19 dotnet "$BENCH" onnx-table "$@"
if [ "$PROFILE" = 1 ]; then
    nice -n 19 dotnet "$BENCH" onnx-profile --size 512 --threads 2 --profile-dir "$BENCH_DIR/ort-profile"
fi

echo "uptime after: $(uptime)"

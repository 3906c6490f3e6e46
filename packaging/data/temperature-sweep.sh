#!/bin/sh
# Scores a class-head pack (abHead "classes") at other annealing temperatures: for each T, a copy of the pack folder
# with the manifest's architecture.hyperparameters.annealTemperature set to T (the weights are the same: T only
# changes the decoding), scored with `colorize-train eval --json` on validation and on the face crops.
#   usage: packaging/data/temperature-sweep.sh COLORIZE_TRAIN.dll PACK_DIR OUT_PREFIX VALIDATION_DIR FACES_DIR T…
# Writes OUT_PREFIX-tT/ (the pack), OUT_PREFIX-tT-val.json and OUT_PREFIX-tT-faces.json, and prints one line per T.
# Needs Debian's /usr/bin/python3 (standard library only).
set -eu
[ $# -ge 6 ] || { echo "usage: $0 COLORIZE_TRAIN.dll PACK_DIR OUT_PREFIX VALIDATION_DIR FACES_DIR T…" >&2; exit 2; }
trainer=$1; pack=$2; out=$3; validation=$4; faces=$5; shift 5
for t in "$@"; do
  d=$out-t$t
  rm -rf "$d"; cp -r "$pack" "$d"
  /usr/bin/python3 - "$d/manifest.json" "$t" <<'PY'
import json, sys
path, t = sys.argv[1], sys.argv[2]
m = json.load(open(path))
m["architecture"]["hyperparameters"]["annealTemperature"] = float(t)
m["version"] = m["version"] + "-t" + t.replace(".", "")
json.dump(m, open(path, "w"), indent=2)
PY
  dotnet "$trainer" eval --pack "$d" --data "$validation" --json --threads 1 > "$d-val.json"
  dotnet "$trainer" eval --pack "$d" --data "$faces" --json --threads 1 > "$d-faces.json"
  /usr/bin/python3 - "$d-val.json" "$d-faces.json" "$t" <<'PY'
import json, sys
v, f = (json.load(open(p))["model"] for p in sys.argv[1:3])
print(f"T {sys.argv[3]}: validation {v['psnr']:.2f} dB, AuC {v['auc']:.2f}, CF {v['colorfulness']:.1f}, cast {v['cast']:.2f}; "
      f"faces {f['psnr']:.2f} dB, CF {f['colorfulness']:.1f}")
PY
done

#!/usr/bin/env bash
# Builds a curated folder of the default pack from the output of ../shared/data/training-photos.sh.
#   usage: packaging/data/curate.sh PHOTOS_DIR OUT_DIR [LIST...]      (no LIST: curated.txt)
# PHOTOS_DIR is what training-photos.sh wrote; OUT_DIR receives hard links (or copies) of the photos listed in the
# LISTs, in the same <package>/<file> layout, plus SOURCES.tsv rows and licence files for exactly those photos, and a
# copy of each LIST (so that a training config can name it relative to the data folder: split.validationList,
# cutouts.list).
# A LIST is one <package>/<file> path a line (lines starting with '#' and a 'path' header are skipped; of a TSV such
# as curated-1.0.tsv only the first column is read): curated.txt, curated-scenes.txt (the 0.2 training data),
# test-split.txt (the old held-out test photos, for `colorize-train eval --data OUT_DIR`), or the 1.0 lists
# train-1.0.txt, validation-1.0.txt, test-split-1.0.txt (made by make-split-1.0.py from curated-1.0.tsv).
# Cut-outs (cutouts/<package>/<file>, as listed in cutouts-1.0.txt) go to OUT_DIR/cutouts/<package>/ with their rows
# in OUT_DIR/CUTOUTS.tsv, as training-photos.sh lays them out; the trainer never reads that folder as photos. The
# training folder of the cut-out ablation (default-pack-1.2-cutouts.json):
#   curate.sh PHOTOS_DIR OUT_DIR train-1.0.txt validation-1.0.txt cutouts-1.0.txt
# Each photo's SOURCES.tsv (or CUTOUTS.tsv) row is found by photo-sources.py, which knows how training-photos.sh
# named the files (plasma's <Name>-images.<ext>, gcompris' <archive>_<NNN>.png, kphotoalbum's turned .png, ...).
# curated.txt was chosen by looking at every image: photographs kept; abstract art, renders, logos, blank or
# near-blank images, collages and repeated tilings left out; curated-1.0.tsv the same way (curation-1.0.tsv).
set -euo pipefail
src=${1:?usage: curate.sh PHOTOS_DIR OUT_DIR [LIST...]}
out=${2:?usage: curate.sh PHOTOS_DIR OUT_DIR [LIST...]}
shift 2
[ $# -gt 0 ] || set -- "$(dirname "$0")/curated.txt"
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/licenses"
: > "$out/SOURCES.tsv"
rm -f "$out/CUTOUTS.tsv"
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
python3 "$here/photo-sources.py" "$src" rows > "$rows"
missing=0 n=0
declare -A seen=()
for list in "$@"; do
  while IFS=$'\t' read -r rel _; do
    case "$rel" in ''|'#'*|path) continue ;; esac
    [ -n "${seen[$rel]:-}" ] && continue  # listed twice (in two lists): taken once
    seen[$rel]=1
    n=$((n + 1))
    if [ ! -f "$src/$rel" ]; then echo "missing: $rel" >&2; missing=$((missing + 1)); continue; fi
    mkdir -p "$out/$(dirname "$rel")"
    ln -f "$src/$rel" "$out/$rel" 2>/dev/null || cp "$src/$rel" "$out/$rel"
    case "$rel" in
      cutouts/*) pkg=${rel#cutouts/}; pkg=${pkg%%/*}; listing=CUTOUTS.tsv ;;
      *) pkg=${rel%%/*}; listing=SOURCES.tsv ;;
    esac
    for f in "$src/licenses/$pkg".*; do [ -f "$f" ] && cp "$f" "$out/licenses/"; done
    row=$(awk -F'\t' -v p="$rel" '$1 == p {sub(/^[^\t]*\t/, ""); print; exit}' "$rows")
    if [ -z "$row" ]; then echo "no $listing row for $rel" >&2; missing=$((missing + 1)); else echo "$row" >> "$out/$listing"; fi
  done < "$list"
  # process substitutions and the like have no file name worth keeping
  [ -f "$list" ] && cp "$list" "$out/$(basename "$list")"
done
echo "$n listed, $missing missing, in $out"
[ "$missing" -eq 0 ]

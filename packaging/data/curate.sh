#!/usr/bin/env bash
# Builds the curated training folder of the default pack from the output of ../shared/data/training-photos.sh.
#   usage: packaging/data/curate.sh PHOTOS_DIR OUT_DIR [LIST=curated.txt]
# PHOTOS_DIR is what training-photos.sh wrote; OUT_DIR receives hard links (or copies) of the photos listed in
# curated.txt, in the same <package>/<file> layout, plus SOURCES.tsv rows and licence files for exactly those photos.
# LIST may name another list in the same format: curated-scenes.txt (the default pack's training data) or
# test-split.txt (the default pack's held-out test photos, for `colorize-train eval --data OUT_DIR`).
# curated.txt was chosen by looking at every image: photographs kept; abstract art, renders, logos, blank or
# near-blank images, collages and repeated tilings left out.
set -euo pipefail
src=${1:?usage: curate.sh PHOTOS_DIR OUT_DIR [LIST]}
out=${2:?usage: curate.sh PHOTOS_DIR OUT_DIR [LIST]}
list=${3:-"$(dirname "$0")/curated.txt"}
mkdir -p "$out/licenses"
: > "$out/SOURCES.tsv"
missing=0
while read -r rel; do
  [ -n "$rel" ] || continue
  if [ ! -f "$src/$rel" ]; then echo "missing: $rel" >&2; missing=$((missing + 1)); continue; fi
  mkdir -p "$out/$(dirname "$rel")"
  ln -f "$src/$rel" "$out/$rel" 2>/dev/null || cp "$src/$rel" "$out/$rel"
  pkg=${rel%%/*}
  [ -f "$src/licenses/$pkg.copyright" ] && cp "$src/licenses/$pkg.copyright" "$out/licenses/"
  # plasma wallpapers were renamed <Name>-images.<ext> from .../wallpapers/<Name>/contents/images/<WxH>.<ext>
  name=$(basename "${rel%.*}"); name=${name%-images*}
  row=$(awk -F'\t' -v p="$pkg" -v n="$name" '$1 == p && (index($2, "/" n ".") || index($2, "/" n "/")) {print; exit}' "$src/SOURCES.tsv")
  if [ -z "$row" ]; then echo "no SOURCES.tsv row for $rel" >&2; missing=$((missing + 1)); else echo "$row" >> "$out/SOURCES.tsv"; fi
done < "$list"
echo "$(grep -c . "$list") listed, $missing missing, in $out"
[ "$missing" -eq 0 ]

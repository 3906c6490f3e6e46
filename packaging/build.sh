#!/usr/bin/env bash
# Builds every release artifact into dist/ (or --out DIR) with the one version in Directory.Build.props:
#   colorize-<v>.zip                  the colorize command, framework-dependent and portable (needs the ASP.NET Core 10 runtime)
#   colorize.<v>.nupkg                the same as a .NET tool (dotnet tool install -g colorize)
#   Colorize.<Library>.<v>.nupkg      NuGet packages of the libraries (+ .snupkg symbols) and of the engine plugin
#   <id>-<pack-version>.cpack         every model pack folder under packaging/packs/
#   Colorize.PaintDotNet-<v>.zip      the Paint.NET effect as Effects/Colorize/ plus INSTALL.txt
#   SHA256SUMS
# Everything is built into a staging folder first; dist/ is replaced only when every artifact was built and checked,
# so a failed run leaves the previous dist/ as it was. Running it again rebuilds the same artifacts (the zips and
# .cpack files are byte-for-byte reproducible; see packaging/README.md).
set -euo pipefail

usage() { echo "usage: packaging/build.sh [--out DIR] [--configuration Release|Debug]" >&2; exit 2; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$repo/dist"
configuration=Release
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    --configuration|-c) [ $# -ge 2 ] || usage; configuration=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Builds go to their own artifacts folder (kept between runs so rebuilds are incremental), never into the bin/obj
# folders a developer's build and tests use.
art=${COLORIZE_PACKAGING_ARTIFACTS:-$repo/artifacts/packaging}
build_args=(-c "$configuration" --artifacts-path "$art" -warnaserror -p:ContinuousIntegrationBuild=true -nologo -v:quiet)

staging="$out.staging.$$"
work="$staging.work"
cleanup() { rm -rf "$staging" "$work"; }
trap cleanup EXIT
rm -rf "$staging" "$work"
mkdir -p "$staging" "$work"

step() { printf '\n== %s\n' "$*"; }

host="$repo/host-adapters/Colorize.Host/Colorize.Host.csproj"
version=$(dotnet msbuild "$host" -getProperty:Version -p:Configuration="$configuration")
[ -n "$version" ] || { echo "error: could not read the version from Directory.Build.props" >&2; exit 1; }
echo "Colorize $version ($configuration) -> $out"

step "packaging helper (colorize-pack)"
dotnet build "$repo/packaging/Colorize.PackTool/Colorize.PackTool.csproj" "${build_args[@]}"
packtool=$(dotnet msbuild "$repo/packaging/Colorize.PackTool/Colorize.PackTool.csproj" -getProperty:TargetPath -p:Configuration="$configuration" -p:ArtifactsPath="$art")
cpack_tool() { dotnet "$packtool" "$@"; }

step "colorize: framework-dependent zip"
publish="$work/colorize-$version"
# No apphost: the zip runs on every OS and architecture with the .NET 10 runtime, through the two launchers below.
dotnet publish "$host" "${build_args[@]}" -o "$publish" -p:UseAppHost=false
for required in colorize.dll plugins/Colorize.Engine/Colorize.Engine.dll plugins/Colorize.Engine/Colorize.Engine.deps.json; do
  [ -f "$publish/$required" ] || { echo "error: the publish output has no $required" >&2; exit 1; }
done
cp "$repo/packaging/dist-files/colorize-README.txt" "$publish/README.txt"
cp "$repo/packaging/dist-files/colorize.cmd" "$publish/colorize.cmd"
cp "$repo/packaging/dist-files/colorize.sh" "$publish/colorize"
chmod 755 "$publish/colorize"
cpack_tool zip "$publish" -o "$staging/colorize-$version.zip" --prefix "colorize-$version"

step "colorize: .NET tool package"
# The same publish output, packed into tools/net10.0/any/ (plugins/ and packs/ included by the host's project).
dotnet pack "$host" "${build_args[@]}" -o "$staging" -p:IncludeSymbols=false

step "library packages"
for project in core/Colorize.Abstractions core/Colorize.Tensors core/Colorize.Imaging core/Colorize.Plugins packaging/Colorize.Engine.Package; do
  dotnet pack "$repo/$project/$(basename "$project").csproj" "${build_args[@]}" -o "$staging"
done

step "model packs"
# packaging/packs/<id>/manifest.json or packaging/packs/<id>/<version>/manifest.json (packaging/BundledPacks.targets).
mapfile -t pack_folders < <(cd "$repo/packaging/packs" 2>/dev/null && find . -mindepth 2 -maxdepth 3 -name manifest.json -printf '%h\n' | sort)
if [ ${#pack_folders[@]} -eq 0 ]; then
  echo "skipped: no model pack folder under packaging/packs/ yet (a pack is packaging/packs/<id>/ with manifest.json and its weights)"
else
  check_home="$work/check-home"
  for folder in "${pack_folders[@]}"; do
    cpack_tool "$repo/packaging/packs/${folder#./}" -o "$staging"
  done
  # What users will do with them: the published colorize installs each one, its engine checking that it runs.
  for cpack in "$staging"/*.cpack; do
    COLORIZE_HOME="$check_home" dotnet "$publish/colorize.dll" packs install "$cpack" >/dev/null
    echo "checked: colorize packs install $(basename "$cpack")"
  done
fi

step "Paint.NET effect"
pdn="$repo/host-adapters/Colorize.PaintDotNet/Colorize.PaintDotNet.csproj"
if [ ! -f "$pdn" ]; then
  echo "skipped: host-adapters/Colorize.PaintDotNet does not exist yet"
else
  dotnet build "$pdn" "${build_args[@]}"
  pdn_out=$(dotnet msbuild "$pdn" -getProperty:TargetDir -p:Configuration="$configuration" -p:ArtifactsPath="$art")
  effect="$work/pdn/Effects/Colorize"
  mkdir -p "$effect"
  cp -R "$pdn_out/." "$effect/"
  # Paint.NET loads the effect's own files only: no API docs, no PDB-less clutter from the stubs.
  find "$effect" -name '*.xml' -delete
  for stub in "$effect"/PaintDotNet.*.dll; do [ -e "$stub" ] && { echo "error: $stub is a PdnSdk stub; Paint.NET provides the real one" >&2; exit 1; }; done
  [ -f "$effect/Colorize.PaintDotNet.dll" ] || { echo "error: $pdn_out has no Colorize.PaintDotNet.dll" >&2; exit 1; }
  [ -d "$effect/plugins/Colorize.Engine" ] || { echo "error: $pdn_out has no plugins/Colorize.Engine/" >&2; exit 1; }
  sed "s/@VERSION@/$version/g" "$repo/packaging/dist-files/PaintDotNet-INSTALL.txt" > "$work/pdn/INSTALL.txt"
  cpack_tool zip "$work/pdn" -o "$staging/Colorize.PaintDotNet-$version.zip"
fi

step "checksums"
(cd "$staging" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%f\n' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS)

# Swap the new dist/ in: one rename each way, the old copy removed only after the new one is in place.
if [ -e "$out" ]; then mv "$out" "$out.old.$$"; fi
mv "$staging" "$out"
rm -rf "$out.old.$$"

step "built into $out"
(cd "$out" && while read -r sum file; do
  printf '%-44s %10s  %s\n' "$file" "$(numfmt --to=iec --suffix=B "$(stat -c %s "$file")")" "$sum"
done < SHA256SUMS)

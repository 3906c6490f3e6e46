#!/usr/bin/env bash
# Builds the solution and runs every test project (Release, the way users get it). Does its own set-up first: the
# browser test needs Debian's chromium and playwright-core, which tests/browser/setup.sh installs when missing
# (root or sudo) and otherwise only checks, in well under a second.
set -euo pipefail
cd "$(dirname "$0")"
if ! bash tests/browser/setup.sh; then
  echo "test.sh: tests/browser/setup.sh failed (above): the browser test cannot run; fix that and run ./test.sh again" >&2
  exit 1
fi
dotnet build ColorizePlugins.sln -c Release -warnaserror
dotnet test ColorizePlugins.sln -c Release --no-build

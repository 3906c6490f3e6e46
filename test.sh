#!/usr/bin/env bash
# Builds the solution and runs every test project (Release, the way users get it).
set -euo pipefail
cd "$(dirname "$0")"
dotnet build ColorizePlugins.sln -c Release -warnaserror
dotnet test ColorizePlugins.sln -c Release --no-build

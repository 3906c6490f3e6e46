#!/bin/sh
# Runs colorize with the installed .NET runtime (the zip is portable: no platform-specific launcher).
exec dotnet "$(dirname "$0")/colorize.dll" "$@"

@echo off
rem Runs colorize with the installed .NET runtime (the zip is portable: no platform-specific launcher).
dotnet "%~dp0colorize.dll" %*

#!/usr/bin/env bash
# The project's test command (the README names it; .ci/run calls it).
# Restores and builds in Release, then runs every NUnit test project in the solution.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet restore MainlineDht.sln
dotnet build MainlineDht.sln -c Release --no-restore
dotnet test MainlineDht.sln -c Release --no-build --logger "console;verbosity=normal"

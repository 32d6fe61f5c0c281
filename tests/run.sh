#!/usr/bin/env bash
# The project's test command (the README names it; .ci/run calls it).
# Restores and builds in Release, runs every NUnit test project in the solution, and ends with
# one line "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

dotnet restore MainlineDht.sln
dotnet build MainlineDht.sln -c Release --no-restore
status=0
dotnet test MainlineDht.sln -c Release --no-build --logger "console;verbosity=minimal" \
  --logger "trx" --results-directory "$results" || status=$?

python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    counters = ET.parse(path).getroot().find(".//{*}Counters")
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
    skipped += int(counters.get("notExecuted", 0))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit "$status"

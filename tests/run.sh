#!/usr/bin/env bash
# The project's test command (the README names it; .ci/run calls it).
#
#   1. Installs what the interop tests run (libtorrent, WebTorrent's bittorrent-dht) and the headless
#      Chromium the status-page test uses: see tests/install-interop-deps.sh; quick when already
#      there. A client that cannot be installed fails the run: it is never skipped.
#   2. Restores and builds in Release (these need the package registry).
#   3. Runs every NUnit test project in the solution inside a private network namespace whose only
#      interface is loopback (`unshare --net`): nothing a test starts can reach any other address.
#      No namespace, no test run: it fails loudly instead of running outside one.
#   4. Ends with one line "N passed, N failed, N skipped" over every project's results.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

fail() { printf '\n[tests/run.sh] ERROR: %s\n' "$*" >&2; exit 1; }

bash tests/install-interop-deps.sh || fail "the interop clients are not installed (see above); they are required, never skipped"

dotnet restore MainlineDht.sln
dotnet build MainlineDht.sln -c Release --no-restore

# Checked before the run: a namespace that cannot be made must stop the run, not let it go on
# outside one.
in_loopback_namespace=(unshare --net -- bash -c 'ip link set lo up && exec "$@"' loopback-only)
"${in_loopback_namespace[@]}" true \
    || fail "cannot create a loopback-only network namespace (unshare --net needs root or user namespaces); the tests do not run outside one"

status=0
"${in_loopback_namespace[@]}" dotnet test MainlineDht.sln -c Release --no-build \
    --logger "console;verbosity=minimal" --logger "trx" --results-directory "$results" || status=$?

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

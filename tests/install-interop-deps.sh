#!/usr/bin/env bash
# Installs what tests/MainlineDht.InteropTests needs to run real third-party DHT nodes on
# loopback, on a fresh Debian 12 machine, as root. Idempotent: run it as often as you like.
#
#   - Debian packages (only if missing): python3-libtorrent (libtorrent-rasterbar 2.0.8, used
#     through /usr/bin/python3), iproute2 (`ip`), util-linux (`unshare`).
#   - npm ci in the harness folder: bittorrent-dht 11.0.12, pinned by package-lock.json.
#   - Then checks every piece and fails loudly, naming what is missing.
#
# Needs the Debian and npm registries (run it outside the test's network namespace).
set -euo pipefail

HARNESS="$(cd "$(dirname "$0")" && pwd)/MainlineDht.InteropTests/harness"
LT_PYTHON=/usr/bin/python3
PACKAGES=(python3-libtorrent iproute2 util-linux)
BITTORRENT_DHT_VERSION=11.0.12

say() { printf '[install-interop-deps] %s\n' "$*"; }
die() { printf '[install-interop-deps] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (apt-get install, and unshare --net for the tests)"
[ -f /etc/debian_version ] || die "not a Debian system (expected Debian 12)"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
for p in "${PACKAGES[@]}"; do
    installed "$p" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
else
    say "Debian packages present: ${PACKAGES[*]}"
fi

command -v node >/dev/null || die "node (Node.js >= 12.20) not found: apt-get install -y nodejs npm"
command -v npm >/dev/null || die "npm not found: apt-get install -y npm"

say "npm ci in $HARNESS"
(cd "$HARNESS" && npm ci --no-audit --no-fund) || die "npm ci failed in $HARNESS"

# --- checks: every one names what is wrong ---------------------------------------------------
[ -x "$LT_PYTHON" ] || die "$LT_PYTHON not found"
lt_version="$("$LT_PYTHON" -c 'import libtorrent; print(libtorrent.__version__)' 2>/dev/null)" \
    || die "$LT_PYTHON cannot import libtorrent (python3-libtorrent); note: not the pyenv python3 on PATH"
case "$lt_version" in
    2.0.*) ;;
    *) die "libtorrent $lt_version found, expected 2.0.x" ;;
esac
command -v unshare >/dev/null || die "unshare not found (util-linux)"
command -v ip >/dev/null || die "ip not found (iproute2)"
unshare --net -- bash -c 'ip link set lo up && exec true' \
    || die "cannot create a network namespace (unshare --net): needs root or user namespaces"
dht_version="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).version)' \
    "$HARNESS/node_modules/bittorrent-dht/package.json" 2>/dev/null)" \
    || die "bittorrent-dht not installed in $HARNESS/node_modules"
[ "$dht_version" = "$BITTORRENT_DHT_VERSION" ] \
    || die "bittorrent-dht $dht_version installed, expected $BITTORRENT_DHT_VERSION"

say "ok: libtorrent $lt_version ($LT_PYTHON), bittorrent-dht $dht_version (node $(node --version)), unshare + ip"

#!/usr/bin/env bash
# Installs what the tests run besides .NET, on a fresh Debian 12 machine: the real third-party DHT
# nodes tests/MainlineDht.InteropTests runs on loopback, and the headless browser that looks at the
# HostedNode sample's status page (tests/MainlineDht.Hosting.Tests). tests/run.sh calls it before
# every run. Idempotent and quick when everything is there (no apt-get, no npm):
#
#   - Debian packages, only the missing ones: python3-libtorrent (libtorrent-rasterbar 2.0.8,
#     used through /usr/bin/python3), iproute2 (`ip`), util-linux (`unshare`, `script`), chromium
#     (headless, for the status page's screenshot) with fonts-dejavu-core (the fonts it and the
#     `simulate --plot` pictures draw text with), and nodejs + npm when there is no `node` / `npm`
#     command (a Node.js from elsewhere, e.g. NodeSource, is used as it is).
#   - `npm ci` in the harness folder (bittorrent-dht 11.0.12, pinned by package-lock.json), only
#     when node_modules was not installed from the current package-lock.json.
#   - Then checks every piece and fails loudly, naming what is missing: a missing client is a
#     failure, never a reason to skip.
#
# Installing needs root and the Debian and npm registries: run it outside the tests' network
# namespace.
set -euo pipefail

HARNESS="$(cd "$(dirname "$0")" && pwd)/MainlineDht.InteropTests/harness"
LT_PYTHON=/usr/bin/python3
BITTORRENT_DHT_VERSION=11.0.12
STAMP="$HARNESS/node_modules/.installed-from-lock.sha256"

say() { printf '[install-interop-deps] %s\n' "$*"; }
die() { printf '[install-interop-deps] ERROR: %s\n' "$*" >&2; exit 1; }

[ -f /etc/debian_version ] || die "not a Debian system (expected Debian 12): install python3-libtorrent, iproute2, util-linux, nodejs and npm by hand"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
for p in python3-libtorrent iproute2 util-linux chromium fonts-dejavu-core; do
    installed "$p" || missing+=("$p")
done
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}; run as root (or: sudo apt-get install -y ${missing[*]})"
    say "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    say "present: python3-libtorrent iproute2 util-linux chromium fonts-dejavu-core node npm"
fi

command -v node >/dev/null || die "node (Node.js) not found after installing nodejs"
command -v npm >/dev/null || die "npm not found after installing npm"

lock_sum="$(sha256sum "$HARNESS/package-lock.json" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$lock_sum" ] \
    && [ -f "$HARNESS/node_modules/bittorrent-dht/package.json" ]; then
    say "node_modules is up to date with package-lock.json"
else
    say "npm ci in $HARNESS"
    (cd "$HARNESS" && npm ci --no-audit --no-fund) || die "npm ci failed in $HARNESS"
    printf '%s\n' "$lock_sum" > "$STAMP"
fi

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
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium not found (chromium)"
dht_version="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).version)' \
    "$HARNESS/node_modules/bittorrent-dht/package.json" 2>/dev/null)" \
    || die "bittorrent-dht not installed in $HARNESS/node_modules"
[ "$dht_version" = "$BITTORRENT_DHT_VERSION" ] \
    || die "bittorrent-dht $dht_version installed, expected $BITTORRENT_DHT_VERSION"

say "ok: libtorrent $lt_version ($LT_PYTHON), bittorrent-dht $dht_version (node $(node --version)), $(/usr/bin/chromium --version 2>/dev/null | head -1)"

#!/usr/bin/env bash
# Installs what the browser test (tests/Colorize.Host.Tests/BrowserTests.cs) needs: Debian's chromium (only if
# /usr/bin/chromium is missing), Node.js and npm (only if missing) and playwright-core from package-lock.json
# (npm ci, only when node_modules does not already hold exactly that lock). ./test.sh runs it every time, so the
# already-set-up case must stay quick and quiet: it installs nothing and prints one line.
# Installing needs root or sudo. playwright-core is pinned to 1.61.1, the last release that runs on Debian 12's
# Node.js 18 (1.62 and later refuse to start on Node < 20).
set -euo pipefail
cd "$(dirname "$0")"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "tests/browser/setup.sh: installing $* needs root (or sudo): run it once as root" >&2
    exit 1
  fi
}

updated=no
apt_install() {
  if [ "$updated" = no ]; then
    as_root apt-get update -q
    updated=yes
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi

# The stamp records the lock npm ci installed from; a changed lock (or a missing package) installs again.
stamp=node_modules/.colorize-setup
lock_hash=$(sha256sum package-lock.json | cut -d ' ' -f 1)
if [ ! -f node_modules/playwright-core/package.json ] || [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then
  npm ci --no-audit --no-fund
  echo "$lock_hash" >"$stamp"
fi

# dpkg-query rather than chromium --version, which starts the browser (a second on a loaded machine).
chromium_version=$(dpkg-query -W -f '${Version}' chromium 2>/dev/null || echo "(not from Debian)")
echo "browser test ready: /usr/bin/chromium ${chromium_version}, node $(node --version), playwright-core $(node -p "require('./node_modules/playwright-core/package.json').version")"

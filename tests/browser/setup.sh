#!/usr/bin/env bash
# Installs what the browser test (tests/Colorize.Host.Tests/BrowserTests.cs) needs, once per machine:
# Debian's chromium (only if /usr/bin/chromium is missing) and playwright-core from package-lock.json (npm ci).
# Run as root or with sudo available. .ci/run calls it before ./test.sh.
set -euo pipefail
cd "$(dirname "$0")"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
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

npm ci --no-audit --no-fund
echo "browser test ready: $(/usr/bin/chromium --version 2>/dev/null | head -n 1), node $(node --version), playwright-core $(node -p "require('./node_modules/playwright-core/package.json').version")"

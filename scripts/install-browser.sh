#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium (headless) and the
# e2e folder's Node packages (playwright-core, pinned in e2e/package-lock.json;
# no browser download: the tests use /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
fi
if ! command -v node >/dev/null; then
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >&2
fi
if [ ! -d e2e/node_modules/playwright-core ] || [ ! -d e2e/node_modules/axe-core ]; then
  (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >&2)
fi

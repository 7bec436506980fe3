#!/usr/bin/env bash
# Catalog snapshot benchmark: export time, size and peak memory, and import
# time, at 100,000 and 1,000,000 assets, beside sqlite3's own .dump of the
# same file. Prints a Markdown table (docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v sqlite3 >/dev/null; then
  echo "installing the sqlite3 CLI (the baseline)" >&2
  sudo -n true 2>/dev/null && SUDO=sudo || SUDO=
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq sqlite3 >&2
fi
sqlite3 --version >&2
cargo bench -p pixelunion-catalog --bench snapshot

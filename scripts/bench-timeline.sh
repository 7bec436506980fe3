#!/usr/bin/env bash
# Timeline benchmark: 1,000,000 assets (10 users × 100,000) in a SQLite
# catalog seeded through the real schema and triggers; p50/p99 of 200-item
# pages and of the month summary through the catalog, beside the same SQL in
# the sqlite3 CLI on the same file. Prints a Markdown table (docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v sqlite3 >/dev/null; then
  echo "installing the sqlite3 CLI (the baseline)" >&2
  sudo -n true 2>/dev/null && SUDO=sudo || SUDO=
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq sqlite3 >&2
fi
sqlite3 --version >&2
cargo bench -p pixelunion-catalog --bench timeline

#!/usr/bin/env bash
# Checks the dependency tree with cargo-deny (deny.toml): RustSec advisories
# from a local snapshot of the advisory database (no network), licences,
# sources. The snapshot is ../shared/advisory-db beside the repository (or
# PIXELUNION_ADVISORY_DB); cargo-deny wants it as a git repository under the
# name it derives from the database URL, so it is copied there with one commit.
#
# `scripts/deny.sh --live` is the same check against the live RustSec
# database (fetched from GitHub): what a deployment with network access runs
# before building a release and weekly (see the README, "Checks").
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--live" ]; then
  command -v cargo-deny >/dev/null || cargo install cargo-deny --locked --version 0.20.2
  exec cargo deny check advisories licenses bans sources
fi
SNAPSHOT=${PIXELUNION_ADVISORY_DB:-}
for candidate in "$SNAPSHOT" ../shared/advisory-db /work/shared/advisory-db; do
  if [ -n "$candidate" ] && [ -d "$candidate/crates" ]; then SNAPSHOT=$candidate; break; fi
done
if [ ! -d "$SNAPSHOT/crates" ]; then
  if [ -n "${CI:-}" ]; then echo "deny.sh: no advisory-db snapshot found" >&2; exit 1; fi
  echo "SKIPPED deny.sh: no advisory-db snapshot (set PIXELUNION_ADVISORY_DB)" >&2
  exit 0
fi
command -v cargo-deny >/dev/null || cargo install cargo-deny --locked --version 0.20.2
DB_ROOT=target/advisory-dbs
DB=$DB_ROOT/advisory-db-3157b0e258782691
rm -rf "$DB"
mkdir -p "$DB_ROOT"
cp -r "$SNAPSHOT" "$DB"
(
  cd "$DB"
  git init -q
  git add -A
  git -c user.name=snapshot -c user.email=snapshot@localhost commit -qm snapshot
)
cargo fetch --quiet
cargo deny --offline check advisories licenses bans sources

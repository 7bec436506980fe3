#!/usr/bin/env bash
# Every benchmark side by side with its baseline, in one run, and one table
# of ratios at the end (docs/benchmarks.md keeps it with the date):
#   vault blob encryption vs `openssl speed`      (scripts/bench-vault.sh)
#   timeline pages vs the `sqlite3` CLI           (scripts/bench-timeline.sh)
#   renditions vs `vipsthumbnail`, EXIF vs `exiftool` (scripts/bench-media.sh)
#   thumbnail serving vs a static file            (scripts/bench-web.sh)
#   uploads vs `dd conv=fdatasync`, Range reads and downloads vs nginx
#                                                 (scripts/bench-range.py)
#   an import of 1,000 photos vs `vipsthumbnail`  (scripts/bench-import.py)
# Installs its baselines when missing (Debian packages: nginx-light,
# libvips-tools, libimage-exiftool-perl, openssl, sqlite3, wrk, curl, and
# the media tools). Benchmarks, not tests: nothing fails on a figure.
#
#   scripts/bench.sh [SIZE_MIB]     (the large file of the Range bench; 1024)
# Each part's full output is kept in target/bench/<part>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1024}
need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v vipsthumbnail >/dev/null || need+=(libvips-tools)
command -v exiftool >/dev/null || need+=(libimage-exiftool-perl)
command -v openssl >/dev/null || need+=(openssl)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing baselines: ${need[*]}" >&2
  $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq "${need[@]}" >&2
fi
scripts/install-media-tools.sh >&2
# Absolute: cargo runs benches in their crate's directory, and criterion
# writes its results under CARGO_TARGET_DIR as it finds it.
TARGET=$(realpath -m "${CARGO_TARGET_DIR:-target}")
export CARGO_TARGET_DIR=$TARGET
OUT=$TARGET/bench
mkdir -p "$OUT"
cargo build --release -p pixelunion >&2
BIN=$TARGET/release/pixelunion
run() { # name command...
  local name=$1; shift
  echo "== $name" >&2
  "$@" | tee "$OUT/$name.md"
}
run vault scripts/bench-vault.sh
run timeline scripts/bench-timeline.sh
run media scripts/bench-media.sh
run web scripts/bench-web.sh
run range python3 scripts/bench-range.py "$BIN" "$SIZE" 200
rm -f "$OUT/import.ratios"
run import python3 scripts/bench-import.py "$BIN" 1000 --ratios "$OUT/import.ratios"
echo
python3 scripts/bench-summary.py "$OUT" | tee "$OUT/summary.md"

#!/usr/bin/env bash
# Media benchmark: PixelUnion's renditions beside vipsthumbnail (and EXIF
# extraction beside exiftool) on the same generated files, one process per
# file for both tools. Prints a Markdown table (docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
need() { command -v "$1" >/dev/null || { echo "installing $2" >&2; apt-get update -qq && apt-get install -y -qq "$2" >&2; }; }
need vipsthumbnail libvips-tools
need exiftool libimage-exiftool-perl
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >&2; }
vipsthumbnail --version >&2
cargo bench -p pixelunion-media --bench render

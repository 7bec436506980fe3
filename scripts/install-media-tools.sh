#!/usr/bin/env bash
# Installs the external media tools PixelUnion's pipeline runs (Debian/Ubuntu):
# ffmpeg/ffprobe (video metadata, posters, transcoding), libheif's
# heif-convert (HEIC/AVIF decoded to a raw frame) and heif-thumbnailer (the
# PNG fallback), heif-enc (tests make HEIC/AVIF files with it). Without them the server still runs: videos and HEIC/AVIF pictures end
# with a `failed` media state naming the missing tool.
set -euo pipefail
need=()
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v ffprobe >/dev/null || need+=(ffmpeg)
command -v heif-enc >/dev/null || need+=(libheif-examples)
command -v heif-convert >/dev/null || need+=(libheif-examples)
command -v heif-thumbnailer >/dev/null || need+=(heif-thumbnailer)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${need[*]}" >&2
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >&2

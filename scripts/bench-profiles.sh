#!/usr/bin/env bash
# The `dist` profile (LTO, one codegen unit) beside `release`, on the same
# machine in one run: build time (from the build logs given), binary size,
# a 512 MiB raw upload (hashing, encryption, HTTP) and thumbnail requests
# per second (session, lookup, decryption; wrk, 10 s). Each binary runs
# twice, alternating, and the medians are printed as Markdown.
#
#   scripts/bench-profiles.sh RELEASE_BIN DIST_BIN [RELEASE_BUILD_SECS DIST_BUILD_SECS]
set -euo pipefail
cd "$(dirname "$0")/.."
REL=$1 DIST=$2
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >&2; }
WORK=$(mktemp -d)
trap 'pkill -f "data-dir $WORK" 2>/dev/null || true; rm -rf "$WORK"' EXIT
# an MP4 file type box, then noise: a "video" the library accepts as is
{ printf '\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2'; head -c $(((512 << 20) - 24)) /dev/urandom; } > "$WORK/big.bin"
python3 - "$WORK/photo.png" <<'P'
import sys, zlib, struct
w, h = 1600, 1200
rows = b''.join(b'\0' + bytes((x * 255 // w, y * 255 // h, 128)[i % 3] for x in range(w) for i in range(3)) for y in range(h))
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[1], 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(rows, 6)) + chunk(b'IEND', b''))
P
one() { # BIN RUN -> "upload_s thumbs_per_s"
  local bin=$1 d="$WORK/d$2" port=$((20000 + RANDOM % 20000))
  PIXELUNION_LIMITS__ENABLED=false PIXELUNION_ACCOUNTS__OPEN_SIGNUP=true PIXELUNION_LOG=warn \
    "$bin" serve --data-dir "$d" --listen 127.0.0.1:$port > "$WORK/out$2" 2>/dev/null &
  local pid=$!
  for _ in $(seq 100); do grep -q "^Serving" "$WORK/out$2" 2>/dev/null && break; sleep 0.2; done
  local url=https://127.0.0.1:$port
  curl -sk -X POST -H 'content-type: application/json' -d '{"email":"perf@example.org","password":"a long benchmark passphrase"}' $url/api/v1/auth/signup >/dev/null
  local token
  token=$(curl -sk -X POST -H 'content-type: application/json' -d '{"email":"perf@example.org","password":"a long benchmark passphrase","bearer":true}' $url/api/v1/auth/login | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  local up
  up=$(curl -sk -o "$WORK/up$2" -w '%{http_code} %{time_total}' -H "authorization: Bearer $token" -H 'x-file-name: big.mp4' \
    -H 'content-type: application/octet-stream' --data-binary @"$WORK/big.bin" $url/api/v1/assets)
  [ "${up%% *}" = 201 ] || { echo "upload refused: $up $(cat "$WORK/up$2")" >&2; exit 1; }
  up=${up#* }
  local id
  id=$(curl -sk -H "authorization: Bearer $token" --data-binary @"$WORK/photo.png" $url/api/v1/assets | python3 -c 'import json,sys; print(json.load(sys.stdin)["asset"]["id"])')
  for _ in $(seq 100); do
    [ "$(curl -sk -H "authorization: Bearer $token" $url/api/v1/assets/$id | python3 -c 'import json,sys; print(json.load(sys.stdin)["media"]["state"])')" != pending ] && break
    sleep 0.2
  done
  local rps
  rps=$(wrk -t2 -c16 -d10s -H "authorization: Bearer $token" "$url/api/v1/assets/$id/thumbnail" | awk '/Requests\/sec/ {print $2}')
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf "$d"
  echo "$up $rps"
}
declare -a RU RT DU DT
for r in 1 2; do
  read -r u t < <(one "$REL" "r$r"); RU+=("$u"); RT+=("$t")
  read -r u t < <(one "$DIST" "d$r"); DU+=("$u"); DT+=("$t")
done
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
size() { du -b "$1" | cut -f1; }
ru=$(med "${RU[@]}"); du_=$(med "${DU[@]}"); rt=$(med "${RT[@]}"); dt=$(med "${DT[@]}")
echo "| profile | build (s) | binary (MB) | 512 MiB upload, median of 2 (s) | thumbnails/s, median of 2 |"
echo "|---|---|---|---|---|"
printf '| release | %s | %.1f | %s | %s |\n' "${3:-?}" "$(echo "$(size "$REL")/1000000" | bc -l)" "$ru" "$rt"
printf '| dist (LTO, 1 CGU, stripped) | %s | %.1f | %s | %s |\n' "${4:-?}" "$(echo "$(size "$DIST")/1000000" | bc -l)" "$du_" "$dt"
printf '| dist ÷ release | | | %.2f× the time | %.2f× the rate |\n' "$(echo "$du_/$ru" | bc -l)" "$(echo "$dt/$rt" | bc -l)"

#!/usr/bin/env bash
# Web serving benchmark: requests per second for a thumbnail (session check,
# owner-scoped lookup, read and decrypt of the encrypted rendition) beside
# the same server's /healthz (no auth, no crypto, no store) as the baseline,
# and beside a static asset of the web app. Release build, wrk on loopback,
# both measured in the same run. Prints Markdown lines for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >&2; }
cargo build --release -p pixelunion >&2
BIN=${CARGO_TARGET_DIR:-target}/release/pixelunion
DIR=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DIR" || true' EXIT
PORT=$((20000 + RANDOM % 20000))
PIXELUNION_LIMITS__ENABLED=false PIXELUNION_ACCOUNTS__OPEN_SIGNUP=true "$BIN" serve --data-dir "$DIR/data" --listen 127.0.0.1:$PORT > "$DIR/out" 2>/dev/null &
PID=$!
for _ in $(seq 50); do grep -q "^Serving" "$DIR/out" 2>/dev/null && break; sleep 0.2; done
URL=https://127.0.0.1:$PORT
c() { curl -sk "$@"; }
c -X POST -H 'content-type: application/json' -d '{"email":"perf@example.org","password":"a long benchmark passphrase"}' $URL/api/v1/auth/signup >/dev/null
TOKEN=$(c -X POST -H 'content-type: application/json' -d '{"email":"perf@example.org","password":"a long benchmark passphrase","bearer":true}' $URL/api/v1/auth/login | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
python3 - "$DIR/photo.png" <<'P'
import sys, zlib, struct
# a 1600x1200 gradient as PPM -> JPEG through ffmpeg if present, else a PNG
w, h = 1600, 1200
rows = b''.join(b'\0' + bytes((x * 255 // w, y * 255 // h, 128)[i % 3] for x in range(w) for i in range(3)) for y in range(h))
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(rows, 6)) + chunk(b'IEND', b'')
open(sys.argv[1], 'wb').write(png)
P
ID=$(c -X POST -H "authorization: Bearer $TOKEN" --data-binary @"$DIR/photo.png" $URL/api/v1/assets | python3 -c 'import json,sys; print(json.load(sys.stdin)["asset"]["id"])')
for _ in $(seq 100); do
  state=$(c -H "authorization: Bearer $TOKEN" $URL/api/v1/assets/$ID | python3 -c 'import json,sys; print(json.load(sys.stdin)["media"]["state"])')
  [ "$state" != pending ] && break; sleep 0.2
done
CSS=$(c $URL/login | grep -o '/static/[0-9a-f]*/app.css')
run() { wrk -t2 -c16 -d10s "$@" | awk '/Requests\/sec/ {print $2} /Latency/ {print $2}' | paste -sd' '; }
T=$(run -H "authorization: Bearer $TOKEN" "$URL/api/v1/assets/$ID/thumbnail")
H=$(run "$URL/healthz")
S=$(run "$URL$CSS")
echo "| endpoint | requests/s | mean latency |"
echo "|---|---|---|"
echo "| /healthz (baseline) | ${H#* } | ${H% *} |"
echo "| static app.css | ${S#* } | ${S% *} |"
echo "| thumbnail (auth + lookup + decrypt) | ${T#* } | ${T% *} |"
python3 -c "import sys; t=float('${T#* }'); h=float('${H#* }'); print(f'thumbnail / healthz: {t/h:.2f}x')"

#!/usr/bin/env bash
# Blob encrypt/decrypt throughput (criterion, one core) side by side with
# `openssl speed -evp aes-256-gcm` on 64 KiB buffers, same machine, same run.
# Prints a markdown table of medians and ratios for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# Absolute: cargo runs the bench in crates/vault, where criterion would
# resolve a relative target directory.
CARGO_TARGET_DIR=$(realpath -m "${CARGO_TARGET_DIR:-target}")
export CARGO_TARGET_DIR
command -v openssl >/dev/null || { apt-get update -qq && apt-get install -y -qq openssl >/dev/null; }

# OpenSSL: 64 KiB blocks, one process (one core). Run it before and after the
# criterion run and keep the better figure, so a noisy neighbour cannot make
# our ratio look better than it is.
ossl() {
  openssl speed -seconds 3 -bytes 65536 -evp aes-256-gcm 2>/dev/null |
    awk 'tolower($1) ~ /^aes-256-gcm/ { v=$NF; sub(/k$/, "", v); printf "%.3f\n", v * 1000 / 1e9 }'
}
o1=$(ossl)
taskset -c 0 cargo bench -q -p pixelunion-vault --bench blob_throughput -- --noplot >/dev/null 2>&1 ||
  cargo bench -q -p pixelunion-vault --bench blob_throughput -- --noplot >/dev/null
o2=$(ossl)
openssl_gbs=$(printf '%s\n%s\n' "$o1" "$o2" | sort -g | tail -1)

gbs() { # criterion median (ns per 16 MiB) -> GB/s
  python3 - "$1" <<'PY'
import json, sys
est = json.load(open(sys.argv[1]))
print(f"{(16 << 20) / est['median']['point_estimate']:.3f}")
PY
}
dir=$CARGO_TARGET_DIR/criterion/blob
echo "| operation | GB/s (median) | ratio to openssl 64 KiB (${openssl_gbs} GB/s) |"
echo "|---|---|---|"
for op in stream-encrypt stream-decrypt encrypt decrypt; do
  for seg in 16384 65536 262144 1048576; do
    v=$(gbs "$dir/$op/$seg/new/estimates.json")
    r=$(python3 -c "print(f'{$v / $openssl_gbs:.2f}')")
    echo "| blob $op, ${seg}-byte segments | $v | ${r}× |"
  done
done
v=$(gbs "$dir/aws-lc-rs-seal-64KiB/new/estimates.json")
echo "| bare aws-lc-rs AES-256-GCM seal, 64 KiB | $v | $(python3 -c "print(f'{$v / $openssl_gbs:.2f}')")× |"
echo "| openssl speed -evp aes-256-gcm -bytes 65536 (best of 2 runs) | $openssl_gbs | 1.00× |"

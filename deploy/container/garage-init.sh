#!/usr/bin/env bash
# Once, after `docker compose up -d`: gives each Garage site a layout, a key
# and a bucket, and prints the keys for pixelunion.env.
set -euo pipefail
cd "$(dirname "$0")"
dc() { docker compose -f compose.yaml "$@"; }
for site in primary:pixelunion backup:pixelunion-backup; do
  svc=garage-${site%%:*} bucket=${site#*:}
  node=$(dc exec -T "$svc" /garage node id -q | cut -d@ -f1)
  dc exec -T "$svc" /garage layout assign -z dc1 -c 100G "$node"
  dc exec -T "$svc" /garage layout apply --version 1
  dc exec -T "$svc" /garage key create pixelunion
  dc exec -T "$svc" /garage bucket create "$bucket"
  dc exec -T "$svc" /garage bucket allow --read --write --owner "$bucket" --key pixelunion
  echo "== $svc: put this key into pixelunion.env (${site%%:*}), then: docker compose restart pixelunion"
  dc exec -T "$svc" /garage key info pixelunion --show-secret
done

#!/usr/bin/env bash
# A real S3-compatible server for the test suites: Garage (a geo-distributed
# S3 store written in Rust), single node, on loopback only.
#
#   scripts/garage.sh install   build garage once into $GARAGE_ROOT (outside the clone)
#   scripts/garage.sh start     start a fresh node, create buckets and a key, and
#                               write the PIXELUNION_TEST_S3_* variables to $GARAGE_ENV
#   scripts/garage.sh stop      stop it and delete its data
#
# `eval "$(scripts/garage.sh start)"` also works: start prints the exports.
set -euo pipefail

GARAGE_VERSION=2.5.0
GARAGE_ROOT=${GARAGE_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/pixelunion/garage-$GARAGE_VERSION}
GARAGE_BIN=$GARAGE_ROOT/bin/garage
RUN_DIR=${GARAGE_RUN_DIR:-${TMPDIR:-/tmp}/pixelunion-garage}
GARAGE_ENV=${GARAGE_ENV:-$RUN_DIR/env.sh}
S3_PORT=${GARAGE_S3_PORT:-39000}
RPC_PORT=${GARAGE_RPC_PORT:-39001}
ADMIN_PORT=${GARAGE_ADMIN_PORT:-39003}
# Fixed test credentials (loopback-only throwaway server).
KEY_ID=GK0123456789abcdef01234567
SECRET=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

log() { printf 'garage.sh: %s\n' "$*" >&2; }

install() {
  if [ -x "$GARAGE_BIN" ]; then return; fi
  log "building garage $GARAGE_VERSION into $GARAGE_ROOT (about 10 minutes, once)"
  cargo install garage --version "$GARAGE_VERSION" --locked --root "$GARAGE_ROOT" >&2
}

g() { "$GARAGE_BIN" -c "$RUN_DIR/garage.toml" "$@"; }

start() {
  install
  stop_quiet
  mkdir -p "$RUN_DIR/meta" "$RUN_DIR/data"
  cat >"$RUN_DIR/garage.toml" <<TOML
metadata_dir = "$RUN_DIR/meta"
data_dir = "$RUN_DIR/data"
db_engine = "sqlite"
replication_factor = 1
# Store blocks as sent, so that the canary tests can scan them for plaintext.
compression_level = "none"
rpc_bind_addr = "127.0.0.1:$RPC_PORT"
rpc_public_addr = "127.0.0.1:$RPC_PORT"
rpc_secret = "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$S3_PORT"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$ADMIN_PORT"
TOML
  nohup "$GARAGE_BIN" -c "$RUN_DIR/garage.toml" server >"$RUN_DIR/garage.log" 2>&1 &
  echo $! >"$RUN_DIR/pid"
  local node=""
  for _ in $(seq 60); do
    node=$(g node id -q 2>/dev/null | cut -d@ -f1) && [ -n "$node" ] && break
    sleep 0.5
  done
  [ -n "$node" ] || { log "garage did not start:"; cat "$RUN_DIR/garage.log" >&2; exit 1; }
  g layout assign -z dc1 -c 1G "$node" >/dev/null
  g layout apply --version 1 >/dev/null
  g key import --yes -n pixelunion-test "$KEY_ID" "$SECRET" >/dev/null
  for b in pixelunion-test pixelunion-test-backup; do
    g bucket create "$b" >/dev/null
    g bucket allow --read --write --owner "$b" --key "$KEY_ID" >/dev/null
  done
  cat >"$GARAGE_ENV" <<ENV
export PIXELUNION_TEST_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export PIXELUNION_TEST_S3_REGION=garage
export PIXELUNION_TEST_S3_BUCKET=pixelunion-test
export PIXELUNION_TEST_S3_BACKUP_BUCKET=pixelunion-test-backup
export PIXELUNION_TEST_S3_ACCESS_KEY_ID=$KEY_ID
export PIXELUNION_TEST_S3_SECRET_ACCESS_KEY=$SECRET
export PIXELUNION_TEST_S3_DATA_DIR=$RUN_DIR/data
ENV
  log "garage running on 127.0.0.1:$S3_PORT (variables in $GARAGE_ENV)"
  cat "$GARAGE_ENV"
}

stop_quiet() {
  if [ -f "$RUN_DIR/pid" ]; then
    kill "$(cat "$RUN_DIR/pid")" 2>/dev/null || true
    sleep 0.5
  fi
  rm -rf "$RUN_DIR"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_quiet ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac

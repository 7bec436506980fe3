#!/usr/bin/env bash
# A real S3-compatible server for the test suites: Garage (a geo-distributed
# S3 store written in Rust), single node, on loopback only.
#
#   scripts/garage.sh install   build garage once into $GARAGE_ROOT (outside the clone)
#   scripts/garage.sh start     start two fresh single-node clusters (a primary and a
#                               separate backup site), create buckets and a key, and
#                               write the PIXELUNION_TEST_S3_* and _DRILL_* variables
#                               to $GARAGE_ENV
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
BACKUP_S3_PORT=${GARAGE_BACKUP_S3_PORT:-39100}
BACKUP_RPC_PORT=${GARAGE_BACKUP_RPC_PORT:-39101}
BACKUP_ADMIN_PORT=${GARAGE_BACKUP_ADMIN_PORT:-39103}
# Fixed test credentials (loopback-only throwaway server).
KEY_ID=GK0123456789abcdef01234567
SECRET=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

log() { printf 'garage.sh: %s\n' "$*" >&2; }

install() {
  if [ -x "$GARAGE_BIN" ]; then return; fi
  log "building garage $GARAGE_VERSION into $GARAGE_ROOT (about 10 minutes, once)"
  cargo install garage --version "$GARAGE_VERSION" --locked --root "$GARAGE_ROOT" >&2
}

g() { "$GARAGE_BIN" -c "$1/garage.toml" "${@:2}"; }

# start_node DIR S3_PORT RPC_PORT ADMIN_PORT BUCKET...: a fresh single-node
# cluster in DIR with the test key allowed on each bucket.
start_node() {
  local dir=$1 s3=$2 rpc=$3 admin=$4
  shift 4
  mkdir -p "$dir/meta" "$dir/data"
  cat >"$dir/garage.toml" <<TOML
metadata_dir = "$dir/meta"
data_dir = "$dir/data"
db_engine = "sqlite"
replication_factor = 1
# Store blocks as sent, so that the canary tests can scan them for plaintext.
compression_level = "none"
rpc_bind_addr = "127.0.0.1:$rpc"
rpc_public_addr = "127.0.0.1:$rpc"
rpc_secret = "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$s3"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$admin"
TOML
  nohup "$GARAGE_BIN" -c "$dir/garage.toml" server >"$dir/garage.log" 2>&1 &
  echo $! >"$dir/pid"
  local node=""
  for _ in $(seq 60); do
    node=$(g "$dir" node id -q 2>/dev/null | cut -d@ -f1) && [ -n "$node" ] && break
    sleep 0.5
  done
  [ -n "$node" ] || { log "garage did not start:"; cat "$dir/garage.log" >&2; exit 1; }
  # `node id` reads the key file the server writes first; its RPC listener may
  # come up a moment later. Wait until the server itself answers.
  local up=""
  for _ in $(seq 60); do
    g "$dir" status >/dev/null 2>&1 && up=1 && break
    sleep 0.5
  done
  [ -n "$up" ] || { log "garage RPC did not come up:"; cat "$dir/garage.log" >&2; exit 1; }
  g "$dir" layout assign -z dc1 -c 1G "$node" >/dev/null
  g "$dir" layout apply --version 1 >/dev/null
  g "$dir" key import --yes -n pixelunion-test "$KEY_ID" "$SECRET" >/dev/null
  for b in "$@"; do
    g "$dir" bucket create "$b" >/dev/null
    g "$dir" bucket allow --read --write --owner "$b" --key "$KEY_ID" >/dev/null
  done
}

# bucket_env WHICH PORT BUCKET: the PIXELUNION_TEST_<WHICH>_* variables of
# one bucket (tests/it/harness/garage.rs reads them).
bucket_env() {
  cat <<ENV
export PIXELUNION_TEST_$1_ENDPOINT=http://127.0.0.1:$2
export PIXELUNION_TEST_$1_BUCKET=$3
export PIXELUNION_TEST_$1_ACCESS_KEY_ID=$KEY_ID
export PIXELUNION_TEST_$1_SECRET_ACCESS_KEY=$SECRET
ENV
}

# Two clusters: the first holds the shared test buckets and the drill's
# primary; the second, on other ports with its own data, is the drill's
# separate backup site (the backup drills freeze it with SIGSTOP).
start() {
  install
  stop_quiet
  start_node "$RUN_DIR" "$S3_PORT" "$RPC_PORT" "$ADMIN_PORT" \
    pixelunion-test pixelunion-test-backup pixelunion-drill pixelunion-nodes
  start_node "$RUN_DIR/backup-site" "$BACKUP_S3_PORT" "$BACKUP_RPC_PORT" "$BACKUP_ADMIN_PORT" \
    pixelunion-drill-backup pixelunion-nodes-backup
  {
    cat <<ENV
export PIXELUNION_TEST_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export PIXELUNION_TEST_S3_REGION=garage
export PIXELUNION_TEST_S3_BUCKET=pixelunion-test
export PIXELUNION_TEST_S3_BACKUP_BUCKET=pixelunion-test-backup
export PIXELUNION_TEST_S3_ACCESS_KEY_ID=$KEY_ID
export PIXELUNION_TEST_S3_SECRET_ACCESS_KEY=$SECRET
export PIXELUNION_TEST_S3_DATA_DIR=$RUN_DIR/data
export PIXELUNION_TEST_DRILL_BACKUP_PID=$(cat "$RUN_DIR/backup-site/pid")
ENV
    bucket_env DRILL_PRIMARY "$S3_PORT" pixelunion-drill
    bucket_env DRILL_BACKUP "$BACKUP_S3_PORT" pixelunion-drill-backup
    bucket_env NODES_PRIMARY "$S3_PORT" pixelunion-nodes
    bucket_env NODES_BACKUP "$BACKUP_S3_PORT" pixelunion-nodes-backup
  } >"$GARAGE_ENV"
  log "garage running on 127.0.0.1:$S3_PORT and 127.0.0.1:$BACKUP_S3_PORT (variables in $GARAGE_ENV)"
  cat "$GARAGE_ENV"
}

stop_quiet() {
  for pidfile in "$RUN_DIR/backup-site/pid" "$RUN_DIR/pid"; do
    if [ -f "$pidfile" ]; then
      kill -CONT "$(cat "$pidfile")" 2>/dev/null || true
      kill "$(cat "$pidfile")" 2>/dev/null || true
    fi
  done
  sleep 0.5
  rm -rf "$RUN_DIR"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_quiet ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Checks the deployment files that cannot run here (no container engine, no
# init system): the compose file parses and keeps its promises (read-only,
# no capabilities, only the HTTPS port published), the Containerfile runs
# the service unprivileged in exec form, the Garage configurations start a
# real Garage (the one scripts/garage.sh builds), the scripts parse, and
# the example HAProxy configuration passes `haproxy -c`.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - <<'PY'
import re, sys, yaml
c = yaml.safe_load(open("deploy/container/compose.yaml"))
s = c["services"]
p = s["pixelunion"]
problems = []
if p.get("read_only") is not True: problems.append("pixelunion: read_only")
if p.get("cap_drop") != ["ALL"]: problems.append("pixelunion: cap_drop ALL")
if "no-new-privileges:true" not in p.get("security_opt", []): problems.append("pixelunion: no-new-privileges")
if p.get("ulimits", {}).get("core") != 0: problems.append("pixelunion: core 0")
for name, svc in s.items():
    if name != "net" and svc.get("network_mode") != "service:net": problems.append(f"{name}: joins net")
    if name != "net" and svc.get("ports"): problems.append(f"{name}: publishes ports")
if s["net"].get("ports") != ["8443:8443"]: problems.append("net: only 8443")
f = open("deploy/container/Containerfile").read()
stages = re.findall(r"^FROM\s+(\S+)", f, re.M)
if len(stages) < 2: problems.append("Containerfile: multi-stage")
if not re.search(r"^USER\s+10001", f, re.M): problems.append("Containerfile: USER non-root")
if not re.search(r'^ENTRYPOINT\s+\[', f, re.M): problems.append("Containerfile: exec-form ENTRYPOINT")
if re.search(r"^USER\s+(root|0)\b", f, re.M): problems.append("Containerfile: runs as root")
if problems:
    sys.exit("deploy files: " + "; ".join(problems))
print("compose.yaml and Containerfile: ok")
PY
bash -n deploy/container/garage-init.sh
GARAGE_VERSION=$(sed -n 's/^GARAGE_VERSION=//p' scripts/garage.sh)
GARAGE_BIN=${GARAGE_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/pixelunion/garage-$GARAGE_VERSION}/bin/garage
grep -q "dxflrs/garage:v$GARAGE_VERSION" deploy/container/compose.yaml ||
  { echo "compose.yaml: Garage must be v$GARAGE_VERSION, the version tested"; exit 1; }
if [ -x "$GARAGE_BIN" ]; then
  for site in primary backup; do
    work=$(mktemp -d)
    sed -e "s|/var/lib/garage|$work|" -e "s|rpc_secret = \"0*\"|rpc_secret = \"$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')\"|" \
      -e 's/127.0.0.1:39/127.0.0.1:49/' "deploy/container/garage-$site.toml" >"$work/garage.toml"
    "$GARAGE_BIN" -c "$work/garage.toml" server >"$work/log" 2>&1 &
    pid=$!
    ok=""
    for _ in $(seq 40); do
      "$GARAGE_BIN" -c "$work/garage.toml" status >/dev/null 2>&1 && ok=1 && break
      sleep 0.25
    done
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    rm -rf "$work"
    [ -n "$ok" ] || { echo "garage-$site.toml does not start Garage $GARAGE_VERSION"; exit 1; }
    echo "garage-$site.toml: Garage $GARAGE_VERSION starts with it"
  done
else
  [ -z "${CI:-}" ] || { echo "CI must check the Garage configurations: run scripts/garage.sh install"; exit 1; }
  echo "SKIPPED: the Garage configurations (no garage binary: scripts/garage.sh install)"
fi
# The example load balancer configuration, with throwaway certificates in
# place of the operator's files (haproxy -c reads them).
if command -v haproxy >/dev/null; then
  work=$(mktemp -d)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=photos.example.org -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
  cat "$work/cert.pem" "$work/key.pem" >"$work/photos.pem"
  sed -e "s|/etc/haproxy/certs/photos.example.org.pem|$work/photos.pem|" \
    -e "s|/etc/haproxy/nodes/node[0-9]*.pem|$work/cert.pem|" \
    deploy/haproxy/haproxy.cfg >"$work/haproxy.cfg"
  if haproxy -c -q -f "$work/haproxy.cfg"; then rm -rf "$work"; else rm -rf "$work"; echo "deploy/haproxy/haproxy.cfg: haproxy -c failed"; exit 1; fi
  echo "deploy/haproxy/haproxy.cfg: haproxy -c ok"
else
  [ -z "${CI:-}" ] || { echo "CI must check deploy/haproxy/haproxy.cfg: install haproxy"; exit 1; }
  echo "SKIPPED: deploy/haproxy/haproxy.cfg (no haproxy)"
fi

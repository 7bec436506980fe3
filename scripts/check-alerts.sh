#!/usr/bin/env bash
# Checks the example Prometheus alerting rules (deploy/prometheus): their
# syntax, and their unit tests (the alerts fire on the series that should
# raise them and stay quiet otherwise). Installs promtool (Debian's
# prometheus package) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/../deploy/prometheus"
if ! command -v promtool >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  # the package starts a server where it can: none is wanted here
  pkill -x prometheus 2>/dev/null || true
fi
promtool check rules alerts.yml
promtool test rules alerts_test.yml

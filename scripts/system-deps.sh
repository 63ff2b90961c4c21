#!/usr/bin/env bash
# Installs the real services the tests start: Prometheus (+ promtool), Alertmanager and PostgreSQL, from Debian.
set -euo pipefail
need=()
command -v promtool >/dev/null || need+=(prometheus)
command -v prometheus >/dev/null || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null || need+=(prometheus-alertmanager)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "system-deps: need root to apt-get install ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
promtool --version | head -1
prometheus-alertmanager --version 2>&1 | head -1
ls /usr/lib/postgresql/*/bin/pg_ctl

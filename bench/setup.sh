#!/usr/bin/env bash
# Installs what `npm run bench:proxy` needs and the repository does not ship: wrk, nginx, haproxy,
# h2load, and ip and iptables for peer (f)'s pods (Debian packages) and fortio (built with Go). As root. The packages' system services are
# left disabled and stopped: the bench runs each server with its own config on 127.0.0.1 ports.
set -euo pipefail
cd "$(dirname "$0")/.."

FORTIO_VERSION=v1.66.5   # newer fortio versions need a module the Go module proxy refuses
FORTIO_DIR=${FORTIO_DIR:-/var/cache/weft-peers/fortio}
GO=${GO:-/usr/local/go/bin/go}

missing=()
for p in wrk nginx haproxy nghttp2-client iproute2 iptables; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  # policy-rc.d refuses every service start during this install (Debian starts nginx on :80 otherwise).
  policy=/usr/sbin/policy-rc.d
  had_policy=0
  [ -e "$policy" ] && had_policy=1
  [ "$had_policy" = 1 ] || { printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  [ "$had_policy" = 1 ] || rm -f "$policy"
fi
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now nginx haproxy >/dev/null 2>&1 || true
fi

if [ ! -x "$FORTIO_DIR/fortio" ] || [ "$("$FORTIO_DIR/fortio" version)" != "${FORTIO_VERSION#v}" ]; then
  mkdir -p "$FORTIO_DIR"
  GOBIN="$FORTIO_DIR" "$GO" install "fortio.org/fortio@$FORTIO_VERSION"
fi

for c in wrk nginx haproxy h2load taskset "$FORTIO_DIR/fortio"; do command -v "$c" >/dev/null || { echo "missing $c" >&2; exit 1; }; done
echo "bench tools ready: wrk, nginx, haproxy, h2load, $FORTIO_DIR/fortio"

#!/usr/bin/env bash
# Runs a command in a private network namespace that has only loopback, so WebRTC between the
# test browsers can only ever use 127.0.0.1 (never the machine's real interfaces or mDNS).
# Needs root (or unprivileged user namespaces); otherwise runs the command as it is, with a warning.
set -euo pipefail
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
  exec unshare -n bash -c 'ip link set lo up 2>/dev/null || true; exec "$@"' _ "$@"
elif unshare -rn true 2>/dev/null; then
  exec unshare -rn bash -c 'ip link set lo up 2>/dev/null || true; exec "$@"' _ "$@"
else
  echo "warning: cannot create a network namespace; running on the host network" >&2
  exec "$@"
fi

#!/usr/bin/env bash
# Runs a command in a private network namespace that has only loopback, so WebRTC between the
# test browsers can only ever use 127.0.0.1 (never the machine's real interfaces or mDNS).
# Needs root (or unprivileged user namespaces); otherwise runs the command as it is, with a warning.
# Firefox gathers no ICE candidate at all without a default route (it picks its interfaces by the
# route to the outside), so the namespace routes everything to loopback: nothing can leave anyway.
set -euo pipefail
SETUP='ip link set lo up 2>/dev/null || true; ip route add default dev lo src 127.0.0.1 2>/dev/null || true; ip -6 route add default dev lo 2>/dev/null || true'
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
  exec unshare -n bash -c "$SETUP"'; exec "$@"' _ "$@"
elif unshare -rn true 2>/dev/null; then
  exec unshare -rn bash -c "$SETUP"'; exec "$@"' _ "$@"
else
  echo "warning: cannot create a network namespace; running on the host network" >&2
  exec "$@"
fi

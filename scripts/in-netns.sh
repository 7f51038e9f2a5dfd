#!/usr/bin/env bash
# Runs a command in a private network namespace that has only loopback, so WebRTC between the
# test browsers can only ever use 127.0.0.1 (never the machine's real interfaces or mDNS).
# Needs root (or unprivileged user namespaces); otherwise runs the command as it is, with a warning.
# Firefox gathers no ICE candidate at all without a default route (it picks its interfaces by the
# route to the outside), so the namespace routes everything to loopback: nothing can leave anyway.
# With that route, a name lookup no longer fails at once (the machine's name server is "reachable"
# through loopback and never answers: 20 s per lookup), so a page's outside pictures stayed
# loading on one side and failed on the other: in a mount namespace of its own, the namespace's
# resolv.conf names 127.0.0.1, where nothing answers, and every lookup fails at once.
set -euo pipefail
RESOLV=$(mktemp)
trap 'rm -f "$RESOLV"' EXIT
printf 'nameserver 127.0.0.1\n' > "$RESOLV"
export COVIEW_NETNS_RESOLV="$RESOLV"
SETUP='ip link set lo up 2>/dev/null || true; ip route add default dev lo src 127.0.0.1 2>/dev/null || true; ip -6 route add default dev lo 2>/dev/null || true; mount --bind "$COVIEW_NETNS_RESOLV" /etc/resolv.conf 2>/dev/null || true'
if [ "$(id -u)" = 0 ] && unshare -nm true 2>/dev/null; then
  unshare -nm bash -c "$SETUP"'; exec "$@"' _ "$@"
elif unshare -rnm true 2>/dev/null; then
  unshare -rnm bash -c "$SETUP"'; exec "$@"' _ "$@"
else
  echo "warning: cannot create a network namespace; running on the host network" >&2
  exec "$@"
fi

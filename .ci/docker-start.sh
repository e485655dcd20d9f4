#!/usr/bin/env bash
# Start a private Docker engine for CI / tests (issue 6).
#
# - installs Debian's docker.io when dockerd is missing (needs root and the apt archive);
# - starts dockerd in the background with its own state folder (data root, exec root, pidfile, unix socket), so it
#   never touches a system engine, and with networking disabled (--bridge=none, no iptables/forwarding/masquerade):
#   the benchmark containers run with NetworkMode none and nothing may be pulled;
# - waits for the socket, then prints ONE line on stdout:  export DOCKER_HOST=unix://<state>/docker.sock
#   (everything else goes to stderr), so callers do:   eval "$(.ci/docker-start.sh)"
#
# Environment:
#   MEDSEG_DOCKER_STATE   state folder (default /tmp/medseg-dockerd); dockerd.log is written there
#   MEDSEG_DOCKER_WAIT_S  seconds to wait for the socket (default 60)
# Exit status: 0 when the engine answers, 1 otherwise (the log tail is printed to stderr).
# Idempotent: if the engine of this state folder already answers, it is reused.
set -euo pipefail

STATE="${MEDSEG_DOCKER_STATE:-/tmp/medseg-dockerd}"
WAIT_S="${MEDSEG_DOCKER_WAIT_S:-60}"
SOCK="$STATE/docker.sock"
HOST="unix://$SOCK"
log() { echo "[docker-start] $*" >&2; }

ping_engine() {
  # dockerd answers GET /_ping with OK; curl may be missing, so use the docker CLI when present.
  if command -v docker >/dev/null 2>&1; then
    DOCKER_HOST="$HOST" docker version --format '{{.Server.Version}}' >/dev/null 2>&1
  else
    [ -S "$SOCK" ]
  fi
}

mkdir -p "$STATE"
if [ -S "$SOCK" ] && ping_engine; then
  log "engine already running at $HOST"
  echo "export DOCKER_HOST=$HOST"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "dockerd not found: installing Debian's docker.io"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >&2
fi

rm -f "$SOCK"
log "starting dockerd (state $STATE)"
nohup dockerd \
  --data-root "$STATE/data" \
  --exec-root "$STATE/exec" \
  --pidfile "$STATE/dockerd.pid" \
  --host "$HOST" \
  --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
  >"$STATE/dockerd.log" 2>&1 </dev/null &
echo $! >"$STATE/dockerd.launch.pid"

for _ in $(seq 1 "$((WAIT_S * 2))"); do
  if [ -S "$SOCK" ] && ping_engine; then
    log "engine ready at $HOST ($(DOCKER_HOST="$HOST" docker version --format 'server {{.Server.Version}}' 2>/dev/null || true))"
    echo "export DOCKER_HOST=$HOST"
    exit 0
  fi
  if ! kill -0 "$(cat "$STATE/dockerd.launch.pid")" 2>/dev/null; then
    log "dockerd exited early; last log lines:"
    tail -n 30 "$STATE/dockerd.log" >&2 || true
    exit 1
  fi
  sleep 0.5
done
log "engine did not answer within ${WAIT_S}s; last log lines:"
tail -n 30 "$STATE/dockerd.log" >&2 || true
exit 1

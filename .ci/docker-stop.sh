#!/usr/bin/env bash
# Stop the private Docker engine started by .ci/docker-start.sh (same MEDSEG_DOCKER_STATE).
# Removes leftover medseg containers first, then sends SIGTERM to dockerd (its pidfile), waits up to 30 s, then
# SIGKILL. Never touches any other engine. Set MEDSEG_DOCKER_PURGE=1 to also delete the state folder (images).
set -uo pipefail
STATE="${MEDSEG_DOCKER_STATE:-/tmp/medseg-dockerd}"
HOST="unix://$STATE/docker.sock"
log() { echo "[docker-stop] $*" >&2; }

PID=""
[ -f "$STATE/dockerd.pid" ] && PID="$(cat "$STATE/dockerd.pid")"
[ -z "$PID" ] && [ -f "$STATE/dockerd.launch.pid" ] && PID="$(cat "$STATE/dockerd.launch.pid")"
if [ -z "$PID" ] || ! kill -0 "$PID" 2>/dev/null; then
  log "no running dockerd for $STATE"
else
  if command -v docker >/dev/null 2>&1; then
    ids="$(DOCKER_HOST="$HOST" docker ps -aq --filter label=medseg-bench 2>/dev/null || true)"
    [ -n "$ids" ] && DOCKER_HOST="$HOST" docker rm -f $ids >/dev/null 2>&1 || true
  fi
  kill -TERM "$PID" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$PID" 2>/dev/null; then
    log "dockerd $PID still alive after 30 s: SIGKILL"
    kill -KILL "$PID" 2>/dev/null || true
  fi
  log "dockerd $PID stopped"
fi
rm -f "$STATE/docker.sock" "$STATE/dockerd.launch.pid"
if [ "${MEDSEG_DOCKER_PURGE:-0}" = "1" ]; then
  # the data root may hold mounts of stopped containers; unmount before deleting
  grep " $STATE/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$STATE"
  log "state folder $STATE removed"
fi
exit 0

#!/usr/bin/env bash
# Stop the private Redis started by .ci/redis-start.sh (same MEDSEG_REDIS_STATE).
set -uo pipefail
STATE="${MEDSEG_REDIS_STATE:-/tmp/medseg-redis}"
if [ -f "$STATE/redis.pid" ]; then
  pid="$(cat "$STATE/redis.pid")"
  kill "$pid" 2>/dev/null && echo "[redis-stop] stopped redis-server (pid $pid)" >&2
  rm -f "$STATE/redis.pid"
fi
exit 0

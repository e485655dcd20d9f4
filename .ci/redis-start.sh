#!/usr/bin/env bash
# Start a private Redis for CI and the distributed tests (issue 11).
#
# - installs Debian's redis-server when it is missing (needs root and the apt archive);
# - starts it in the background on its own port, bound to 127.0.0.1, with no persistence (--save '' --appendonly no),
#   a random password and its own folder (pidfile, log), so it never touches a system Redis;
# - prints ONE line on stdout:  export MEDSEG_TEST_REDIS_URL=redis://:<password>@127.0.0.1:<port> MEDSEG_REDIS_SERVER=<bin>
#   (everything else on stderr), so callers do:   eval "$(.ci/redis-start.sh)"
# The distributed tests start their own redis-server from the same binary (they restart and kill it, and bind it on
# the veth addresses of their network namespaces); this instance serves the CI's distributed smoke run.
#
# Environment: MEDSEG_REDIS_STATE (default /tmp/medseg-redis), MEDSEG_REDIS_PORT (default 16379)
# Exit status: 0 when Redis answers, 1 otherwise.
set -euo pipefail
STATE="${MEDSEG_REDIS_STATE:-/tmp/medseg-redis}"
PORT="${MEDSEG_REDIS_PORT:-16379}"
log() { echo "[redis-start] $*" >&2; }

if ! command -v redis-server >/dev/null 2>&1; then
  log "redis-server not found: installing Debian's redis-server"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2 || { log "apt-get install redis-server failed"; exit 1; }
  # Debian starts its own service on 6379 where systemd runs; ours is separate either way
fi
BIN="$(command -v redis-server)"
mkdir -p "$STATE"
PASS="$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
if [ -f "$STATE/redis.pid" ] && kill -0 "$(cat "$STATE/redis.pid")" 2>/dev/null; then
  log "stopping the previous instance (pid $(cat "$STATE/redis.pid"))"
  kill "$(cat "$STATE/redis.pid")" || true
  sleep 0.5
fi
"$BIN" --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$STATE" --requirepass "$PASS" \
  --daemonize yes --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log" >&2
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    log "redis-server $("$BIN" --version | awk '{print $3}') on 127.0.0.1:$PORT (no persistence)"
    echo "export MEDSEG_TEST_REDIS_URL=redis://:$PASS@127.0.0.1:$PORT MEDSEG_REDIS_SERVER=$BIN"
    exit 0
  fi
  sleep 0.1
done
log "redis-server did not answer on port $PORT:"; tail -20 "$STATE/redis.log" >&2 || true
exit 1

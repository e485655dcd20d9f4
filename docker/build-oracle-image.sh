#!/usr/bin/env bash
# Build, OFFLINE, a challenge-style Docker image that runs the harness's own `bench predict` with the oracle models.
#
# Usage: docker/build-oracle-image.sh [TAG]        (default TAG medseg-oracle:latest; needs DOCKER_HOST / a running
#        engine, e.g. eval "$(.ci/docker-start.sh)", and a built dist/ — run `npm run build` first)
#
# No base image is pulled: the root filesystem is assembled from this machine's files (node binary + every shared
# library `ldd` lists for node, sh, bash and the native addons) plus the checkout's dist/, bin/, package.json,
# baselines/, models/oracle and the production node_modules (`npm ls --omit=dev`), then `docker import`ed.
# Layout inside the image (as the challenge's predict.sh protocol expects):
#   /workspace/predict.sh   bench predict --variant oracle --input /workspace/inputs --output /workspace/outputs
#   /app                    the harness; /usr/local/bin/bench runs /app/bin/bench.js with /usr/bin/node
# Env: MEDSEG_PREDICT_VARIANT (default oracle) selects the variant predict.sh runs; MEDSEG_ORACLE_MODELS (default
#      models/oracle) the folder copied to /app/models/oracle.
set -euo pipefail
TAG="${1:-medseg-oracle:latest}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VARIANT="${MEDSEG_PREDICT_VARIANT:-oracle}"
# shellcheck source=lib-rootfs.sh
. "$REPO/docker/lib-rootfs.sh"

[ -f "$REPO/dist/cli/main.js" ] || { echo "build-oracle-image: $REPO/dist/cli/main.js missing: run npm run build" >&2; exit 2; }
# bin/bench.js runs the bundle when it is there: it must be as recent as the compiled modules
[ -f "$REPO/dist/bundle/main.js" ] && [ ! "$REPO/dist/cli/main.js" -nt "$REPO/dist/bundle/main.js" ] || { echo "build-oracle-image: $REPO/dist/bundle/ missing or older than dist/cli/: run npm run build" >&2; exit 2; }
MODELS="${MEDSEG_ORACLE_MODELS:-$REPO/models/oracle}"
[ -d "$MODELS" ] || { echo "build-oracle-image: $MODELS missing (oracle ONNX models)" >&2; exit 2; }
NODE="$(command -v node)"

T0=$(date +%s.%N)
WORK="$(mktemp -d "${TMPDIR:-/tmp}/medseg-oracle-rootfs.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/rootfs"
rootfs_init "$ROOT"
rootfs_add_binary "$ROOT" /bin/sh
[ -x /bin/bash ] && rootfs_add_binary "$ROOT" /bin/bash
rootfs_add_binary "$ROOT" "$NODE"
[ "$NODE" = /usr/bin/node ] || { mkdir -p "$ROOT/usr/bin"; ln -sf "$NODE" "$ROOT/usr/bin/node"; }

APP="$ROOT/app"
mkdir -p "$APP/models/oracle" "$APP/node_modules"
cp -a "$REPO/dist" "$REPO/bin" "$REPO/package.json" "$APP/"
[ -d "$REPO/baselines" ] && cp -a "$REPO/baselines" "$APP/"
cp -a "$MODELS/." "$APP/models/oracle/"
# production dependency tree only (npm resolves it from package-lock / node_modules; no network)
# (npm ls exits 1 on extraneous/invalid packages yet still lists the tree: keep its output, check it is not empty)
DEPS="$( (cd "$REPO" && npm ls --omit=dev --all --parseable) 2>/dev/null || true)"
echo "$DEPS" | grep -q "/node_modules/onnxruntime-node$" || { echo "build-oracle-image: npm ls --omit=dev did not list onnxruntime-node (run npm ci)" >&2; exit 2; }
echo "$DEPS" | while read -r dir; do
  [ "$dir" = "$REPO" ] && continue
  rel="${dir#"$REPO"/}"
  case "$rel" in node_modules/*) ;; *) continue ;; esac
  [ -d "$APP/$rel" ] && continue
  mkdir -p "$APP/$(dirname "$rel")"
  cp -a "$dir" "$APP/$rel"
done
# keep only this platform's onnxruntime binaries
ORT="$APP/node_modules/onnxruntime-node/bin"
if [ -d "$ORT" ]; then
  find "$ORT" -mindepth 2 -maxdepth 2 -type d ! -name linux -exec rm -rf {} +
  find "$ORT" -mindepth 3 -maxdepth 3 -type d ! -name "$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')" -exec rm -rf {} +
fi
# shared libraries of every native addon (onnxruntime, canvas ...)
find "$APP/node_modules" \( -name '*.node' -o -name '*.so' -o -name '*.so.*' \) -type f | while read -r so; do
  for lib in $(ldd "$so" 2>/dev/null | awk '/=>/ { if ($3 ~ /^\//) print $3; next } /^\t\// { print $1 }'); do
    case "$lib" in "$APP"/*|"$REPO"/*) continue ;; esac
    [ -e "$ROOT$lib" ] || rootfs_add_file "$ROOT" "$lib"
  done
done

cat >"$ROOT/usr/local/bin/bench" <<'SH'
#!/bin/sh
exec /usr/bin/node /app/bin/bench.js "$@"
SH
chmod 755 "$ROOT/usr/local/bin/bench"
cat >"$ROOT/workspace/predict.sh" <<SH
bench predict --variant $VARIANT --input /workspace/inputs --output /workspace/outputs
SH

rootfs_import "$ROOT" "$TAG" \
  --change 'WORKDIR /workspace' \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'ENV HOME=/tmp' \
  --change 'CMD ["/bin/sh", "-c", "sh predict.sh"]' \
  --change "LABEL medseg-bench.image=oracle medseg-bench.variant=$VARIANT"
T1=$(date +%s.%N)
SIZE=$(docker image inspect --format '{{.Size}}' "$TAG")
awk -v t="$TAG" -v a="$T0" -v b="$T1" -v s="$SIZE" 'BEGIN { printf "build-oracle-image: %s built in %.1f s (%d MiB)\n", t, b - a, s / 1048576 }' >&2

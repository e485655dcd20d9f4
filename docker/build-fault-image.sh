#!/usr/bin/env bash
# Build, OFFLINE, a tiny image for fault tests of the docker variant: /bin/sh (dash), bash, coreutils' sleep, tail,
# cp, cat, ls and true, plus the files of FAULT_DIR (optional) under /faults. No base image is pulled.
#
# Usage: docker/build-fault-image.sh [TAG] [FAULT_DIR]      (default TAG medseg-fault:latest; needs DOCKER_HOST)
# Typical commands run in it by the tests: `exit 3`, `true` (no output), `cp /faults/... /workspace/outputs/...`,
# `sleep 30` (timeout), `tail /dev/zero` (grows until the memory limit: OOM kill, exit 137).
set -euo pipefail
TAG="${1:-medseg-fault:latest}"
FAULTS="${2:-}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib-rootfs.sh
. "$REPO/docker/lib-rootfs.sh"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/medseg-fault-rootfs.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/rootfs"
rootfs_init "$ROOT"
for b in /bin/sh /bin/bash /bin/sleep /usr/bin/tail /bin/cp /bin/cat /bin/ls /bin/true; do
  [ -e "$b" ] && rootfs_add_binary "$ROOT" "$b"
done
mkdir -p "$ROOT/faults"
[ -n "$FAULTS" ] && cp -a "$FAULTS/." "$ROOT/faults/"
echo 'exit 0' >"$ROOT/workspace/predict.sh"
rootfs_import "$ROOT" "$TAG" \
  --change 'WORKDIR /workspace' \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'CMD ["/bin/sh", "-c", "sh predict.sh"]' \
  --change 'LABEL medseg-bench.image=fault'
echo "build-fault-image: $TAG built" >&2

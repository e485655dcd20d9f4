#!/usr/bin/env bash
# Install Debian's chromium for the HTML report test (test/reports/html.test.ts, issue 7).
#
# - does nothing when /usr/bin/chromium already exists;
# - otherwise runs `apt-get update && apt-get install -y --no-install-recommends chromium` (needs root, or sudo
#   without a password, and Debian's apt archive);
# - prints the chromium version on success.
# Exit status: 0 when /usr/bin/chromium is usable afterwards, 1 otherwise. The test skips with a loud message when
# chromium is missing, so a failure here never hides a broken report, it only leaves the browser check unrun.
set -euo pipefail

log() { echo "[chromium-install] $*" >&2; }
# shellcheck source=apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

if [ -x /usr/bin/chromium ]; then
  log "already installed: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
  exit 0
fi

apt_install chromium chromium fonts-dejavu-core || exit 1

if [ -x /usr/bin/chromium ]; then
  log "installed: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
  exit 0
fi
log "apt-get finished but /usr/bin/chromium is missing"
exit 1

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

if [ -x /usr/bin/chromium ]; then
  log "already installed: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    log "not root and no password-less sudo: cannot install chromium"
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
log "apt-get update"
$SUDO apt-get update -q >&2
log "apt-get install -y chromium"
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >&2

if [ -x /usr/bin/chromium ]; then
  log "installed: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
  exit 0
fi
log "apt-get finished but /usr/bin/chromium is missing"
exit 1

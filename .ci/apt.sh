# Sourced (not run) by .ci/chromium-install.sh and .ci/tex-install.sh: install Debian packages from Debian's apt
# archive as root, or through password-less sudo.
#
# apt_install WHAT PACKAGE...
#   WHAT names what is installed in the messages ("chromium", "TeX"); messages go through the caller's log().
#   Runs `apt-get update` then `apt-get install -y --no-install-recommends PACKAGE...` (apt's output on stderr).
#   Returns 1, with a message, when not root and without password-less sudo (nothing is tried) or when apt-get fails;
#   the caller then checks for itself whether the thing is usable.

apt_install() {
  local what=$1
  shift
  local sudo=()
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      log "not root and no password-less sudo: cannot install $what"
      return 1
    fi
  fi
  # `env` passes DEBIAN_FRONTEND through sudo (whose env_reset would drop an exported one)
  log "apt-get update"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || { log "apt-get update failed"; return 1; }
  log "apt-get install $*"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2 ||
    { log "apt-get install $* failed"; return 1; }
}

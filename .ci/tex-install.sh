#!/usr/bin/env bash
# Install a minimal TeX for the LaTeX compile test (test/reports/latex.test.ts): pdflatex from Debian's
# texlive-latex-base plus texlive-latex-recommended, which holds booktabs.sty (the only package the tables need).
#
# - does nothing when pdflatex and booktabs.sty are already there;
# - otherwise `apt-get install -y --no-install-recommends texlive-latex-base texlive-latex-recommended` (needs root or
#   password-less sudo and Debian's apt archive; about 150 MB);
# - prints the pdflatex version on success.
# Exit status: 0 when pdflatex can compile a booktabs table afterwards, 1 otherwise. The test skips loudly when
# pdflatex is missing, so a failure here never hides a broken table, it only leaves the compile check unrun.
set -euo pipefail

log() { echo "[tex-install] $*" >&2; }
# shellcheck source=apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

have_tex() { command -v pdflatex >/dev/null 2>&1 && command -v kpsewhich >/dev/null 2>&1 && [ -n "$(kpsewhich booktabs.sty 2>/dev/null)" ]; }

if have_tex; then
  log "already installed: $(pdflatex --version 2>/dev/null | head -1)"
  exit 0
fi

apt_install TeX texlive-latex-base texlive-latex-recommended || exit 1

if have_tex; then
  log "installed: $(pdflatex --version | head -1)"
  exit 0
fi
log "pdflatex or booktabs.sty still missing after the install"
exit 1

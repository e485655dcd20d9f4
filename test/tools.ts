/**
 * System facts several test files need, one definition each: where pdflatex is (LaTeX compile tests skip loudly
 * without it) and which live processes carry a marker in their command line (tests that must leave no process).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * The pdflatex executable, or undefined after a loud SKIPPED banner naming `what` (the compile test that is skipped).
 * Debian: apt-get install texlive-latex-base texlive-latex-recommended (booktabs).
 */
export function findPdflatex(what: string): string | undefined {
  let found: string | undefined;
  try {
    found = execFileSync('sh', ['-c', 'command -v pdflatex'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    found = undefined;
  }
  if (!found) {
    const bar = '!'.repeat(100);
    console.error(`\n${bar}\n!!! SKIPPED: ${what} — pdflatex not found (apt-get install texlive-latex-base texlive-latex-recommended).\n${bar}\n`);
  }
  return found;
}

/** Pids of live processes whose command line (/proc/<pid>/cmdline) contains `marker`. */
export function alive(marker: string): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'latin1').includes(marker);
      } catch {
        return false;
      }
    });
}

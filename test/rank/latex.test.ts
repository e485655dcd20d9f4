/**
 * ranking.tex is "ready to \input": a real pdflatex run on an article that \input's it must succeed with no error and
 * no overfull box (fixture results folder, 3 participants, 8 scopes). Skipped LOUDLY where pdflatex is missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPdflatex } from '../tools.js';
import { computeRanking, loadRankInput } from '../../src/rank/index.js';
import { rankingLatex } from '../../src/rank/tables.js';

const FIXTURE = path.resolve(import.meta.dirname, '..', 'fixtures', 'results-small');
const PDFLATEX = findPdflatex('ranking LaTeX compile test: ranking.tex was NOT compiled');

describe.skipIf(!PDFLATEX)('ranking.tex with pdflatex', () => {
  it('compiles without errors or overfull boxes', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medseg-rank-latex-'));
    try {
      const tex = rankingLatex(computeRanking(loadRankInput([FIXTURE]), { resamples: 100 }));
      writeFileSync(path.join(dir, 'ranking.tex'), tex);
      writeFileSync(path.join(dir, 'doc.tex'), '\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage[T1]{fontenc}\n\\begin{document}\n\\input{ranking.tex}\n\\end{document}\n');
      const r = spawnSync(PDFLATEX!, ['-interaction=nonstopmode', '-halt-on-error', 'doc.tex'], { cwd: dir, encoding: 'utf8' });
      const log = readFileSync(path.join(dir, 'doc.log'), 'utf8');
      expect(r.status, log.slice(-2000)).toBe(0);
      expect(log).not.toMatch(/^!/m);
      expect(log).not.toMatch(/Overfull \\hbox/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

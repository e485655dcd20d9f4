/**
 * The LaTeX tables are "ready to \input": a real pdflatex run on an article that \input's both tables (fraction and
 * percent variants) must succeed with no error and no overfull box for the fixture. Skipped with a loud message where
 * pdflatex is missing (Debian: apt-get install texlive-latex-base texlive-latex-recommended, for booktabs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/reports/model.js';
import { accuracyLatex, latexHead, timeLatex } from '../../src/reports/latex.js';
import { findPdflatex } from '../tools.js';

const FIXTURE = path.resolve(import.meta.dirname, '..', 'fixtures', 'results-small');
const PDFLATEX = findPdflatex('LaTeX compile test: the .tex output was NOT compiled');

describe('latexHead', () => {
  it('keeps short titles, breaks long ones at the space nearest the middle, escapes both parts', () => {
    expect(latexHead('Baseline')).toBe('Baseline');
    expect(latexHead('Aug. & INT8 (Proposed)')).toBe('\\begin{tabular}[b]{@{}c@{}}Aug. \\& INT8\\\\(Proposed)\\end{tabular}');
    expect(latexHead('a_very_long_name_without_spaces')).toBe('a\\_very\\_long\\_name\\_without\\_spaces');
  });
});

describe.skipIf(!PDFLATEX)('pdflatex', () => {
  it('compiles an article that \\input-s the tables, without errors or overfull boxes', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medseg-latex-'));
    try {
      const frac = buildModel(FIXTURE);
      const pct = buildModel(FIXTURE, { percent: true, average: 'case' });
      writeFileSync(path.join(dir, 'accuracy.tex'), accuracyLatex(frac));
      writeFileSync(path.join(dir, 'time.tex'), timeLatex(frac));
      writeFileSync(path.join(dir, 'accuracy_pct.tex'), accuracyLatex(pct));
      writeFileSync(
        path.join(dir, 'paper.tex'),
        '\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{booktabs}\n\\begin{document}\n' +
          'See Tables~\\ref{tab:medseg-accuracy} and~\\ref{tab:medseg-time}.\n' +
          '\\input{accuracy.tex}\n\\input{time.tex}\n\\input{accuracy_pct.tex}\n\\end{document}\n',
      );
      const r = spawnSync(PDFLATEX!, ['-interaction=nonstopmode', '-halt-on-error', 'paper.tex'], { cwd: dir, encoding: 'utf8', timeout: 100_000 });
      const log = readFileSync(path.join(dir, 'paper.log'), 'utf8');
      expect(r.status, log.split('\n').filter((l) => l.startsWith('!')).join('\n')).toBe(0);
      expect(log).not.toMatch(/^! /m);
      expect(log).not.toMatch(/Overfull \\hbox/);
      expect(log, log.slice(-600)).toMatch(/Output written on paper\.pdf \(\d+ pages?/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Typed timing warnings travel from the results folder (warnings.jsonl, validated on read) to every output: the
 * Markdown, HTML and LaTeX reports and the terminal tables render the same sentence from src/stats/warnings.ts.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRun } from '../../src/results/store.js';
import { buildModel } from '../../src/reports/model.js';
import { reportMarkdown } from '../../src/reports/markdown.js';
import { reportHtml } from '../../src/reports/html.js';
import { accuracyLatex, timeLatex } from '../../src/reports/latex.js';
import { terminalText } from '../../src/reports/terminal.js';
import { escapeHtml } from '../../src/reports/format.js';
import { timingWarningText, type CaseTimingWarning } from '../../src/stats/warnings.js';

const FIXTURE = path.join(import.meta.dirname, '..', 'fixtures', 'results-small');

function runWith(lines: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medseg-warn-'));
  cpSync(FIXTURE, dir, { recursive: true });
  writeFileSync(path.join(dir, 'warnings.jsonl'), lines);
  return dir;
}

describe('timing warnings in every output', () => {
  const first = readRun(FIXTURE).cases[0]!;
  const w: CaseTimingWarning = { variant: first.variant, case: first.case, warning: { kind: 'slow-first-run', first_s: 3.25, median_s: 1.5, runs: 5 } };
  const orphan: CaseTimingWarning = { variant: 'nobody', case: first.case, warning: { kind: 'outliers', count: 2, runs: 9, median_s: 1 } };

  it('read back typed, only for cases with a row, partial last line dropped', () => {
    const dir = runWith(`${JSON.stringify(w)}\n${JSON.stringify(orphan)}\n{"variant":"x","ca`);
    expect(readRun(dir).warnings).toEqual([w]);
  });

  it('a malformed line is a data error naming the file and line', () => {
    const dir = runWith(`${JSON.stringify(w)}\n{"variant":"a","case":"b","warning":{"kind":"slow"}}\n`);
    expect(() => readRun(dir)).toThrow(/warnings\.jsonl: line 2: not a timing warning/);
  });

  it('Markdown, HTML, LaTeX and terminal all print the sentence', () => {
    const m = buildModel(runWith(`${JSON.stringify(w)}\n`));
    const text = timingWarningText(w.warning);
    expect(text).toMatch(/slow first run: 3\.250 s vs median 1\.500 s over 5 runs/);
    expect(reportMarkdown(m)).toContain(text);
    expect(reportHtml(m, [])).toContain(escapeHtml(text));
    expect(accuracyLatex(m) + timeLatex(m)).toContain('slow first run: 3.250 s vs median 1.500 s');
    // the terminal prints the full sentence with --verbose, a count per kind in its short summary
    expect(terminalText(m, 400, { verbose: true })).toContain(text);
    expect(terminalText(m, 400)).toMatch(/Timing warnings: slow first run 1/);
  });

  it('no warnings file: no timing-warning note (older results folders stay readable)', () => {
    expect(readRun(FIXTURE).warnings).toEqual([]);
    expect(reportMarkdown(buildModel(FIXTURE))).not.toMatch(/Timing warning/);
    expect(readFileSync(path.join(FIXTURE, 'run.json'), 'utf8')).toMatch(/run_id/);
  });
});

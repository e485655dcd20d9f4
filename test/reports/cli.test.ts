/**
 * `bench report` end to end through the built CLI (bin/bench.js -> dist/cli/main.js), on the fixture results folder.
 * The project is compiled first when a src file is newer than its dist output (tsc emits even when another module in
 * progress has a type error; the test then only needs dist/cli/report.js and dist/reports/).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchSync, FIXTURE, ROOT } from '../bench-cli.js';
import { buildModel } from '../../src/reports/model.js';
import { reportMarkdown } from '../../src/reports/markdown.js';
import { accuracyWideCsv } from '../../src/reports/csv.js';
import { terminalText } from '../../src/reports/terminal.js';


/** Source files (src, recursively) whose compiled dist file is missing or older; the build is skipped when none is. */
function staleSources(dir = path.join(ROOT, 'src')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return staleSources(p);
    if (!e.name.endsWith('.ts') || e.name.endsWith('.d.ts')) return [];
    const js = path.join(ROOT, 'dist', path.relative(path.join(ROOT, 'src'), p)).replace(/\.ts$/, '.js');
    return !existsSync(js) || statSync(js).mtimeMs < statSync(p).mtimeMs ? [p] : [];
  });
}

let out: string;
beforeAll(() => {
  // dist is built once by test/global-setup.ts; a stale build here means that setup did not run
  expect(staleSources()).toEqual([]);
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'report.js'))) throw new Error('build did not produce dist/cli/report.js');
  out = mkdtempSync(path.join(tmpdir(), 'medseg-report-cli-'));
}, 300_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));


describe('bench report', () => {
  it('writes every format into --out and prints the terminal tables', () => {
    const dir = path.join(out, 'all');
    const r = benchSync(['report', FIXTURE, '--out', dir]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([
      'accuracy.tex', 'accuracy_dsc.png', 'accuracy_nsd.png', 'accuracy_vs_time.png', 'accuracy_wide.csv', 'cases_long.csv', 'dsc_per_case.png',
      'figure.html', 'figure.png', 'labels_long.csv', 'overlays', 'rank_blob.png', 'rank_heatmap.png', 'ranking.csv', 'ranking.md', 'ranking.tex',
      'report.html', 'report.md', 'significance_map.png', 'time.tex', 'time_per_case.png', 'time_wide.csv',
    ]);
    expect(r.stdout.startsWith(terminalText(buildModel(FIXTURE)))).toBe(true);
    // 13 tables and charts, 3 ranking tables + 3 ranking charts, figure.png + figure.html, and the overlay JPEGs of
    // the fixture's cases found in cases/demo (5 of 8; the others are listed as not drawn)
    const nOverlays = readdirSync(path.join(dir, 'overlays'), { recursive: true }).filter((f) => String(f).endsWith('.jpg')).length;
    expect(nOverlays).toBeGreaterThan(0);
    expect(r.stdout).toContain(`Report files (${13 + 6 + 2 + nOverlays}):`);
    expect(r.stdout).toContain(`(${nOverlays} overlay JPEGs)`);
  });

  it('--formats md,csv --percent --average case --quiet', () => {
    const dir = path.join(out, 'pct');
    const r = benchSync(['report', FIXTURE, '--out', dir, '--formats', 'md,csv', '--percent', '--average', 'case', '--quiet']);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('Accuracy per modality');
    expect(readdirSync(dir).sort()).toEqual(['accuracy_wide.csv', 'cases_long.csv', 'labels_long.csv', 'ranking.csv', 'ranking.md', 'ranking.tex', 'report.md', 'time_wide.csv']);
    const m = buildModel(FIXTURE, { percent: true, average: 'case' });
    const md = readFileSync(path.join(dir, 'report.md'), 'utf8');
    expect(md).toContain('### Ranking\n'); // 3 variants: the Ranking section sits between the tables and the run's metadata
    expect(md.replace(/### Ranking\n[\s\S]*?(?=### Run\n)/, '')).toBe(reportMarkdown(m));
    expect(readFileSync(path.join(dir, 'accuracy_wide.csv'), 'utf8')).toBe(accuracyWideCsv(m));
    expect(readFileSync(path.join(dir, 'report.md'), 'utf8')).toContain('Average (mean over cases)');
  });

  it('default output folder is <run-dir>/report', () => {
    const run = path.join(out, 'run-copy');
    cpSync(FIXTURE, run, { recursive: true });
    const r = benchSync(['report', run, '--formats', 'tex', '--quiet']);
    expect(r.status).toBe(0);
    expect(readdirSync(path.join(run, 'report')).sort()).toEqual(['accuracy.tex', 'time.tex']);
  });

  it('bad input: clear message and exit code 2 (usage or data error)', () => {
    const missing = benchSync(['report', path.join(out, 'nope'), '--quiet']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/run\.json: not found/);
    const badFormat = benchSync(['report', FIXTURE, '--formats', 'md,pdf']);
    expect(badFormat.status).toBe(2);
    expect(badFormat.stderr).toMatch(/--formats.*expected a comma list of md, csv, tex, html, png; found "md,pdf"/s);
    const badAvg = benchSync(['report', FIXTURE, '--average', 'mean']);
    expect(badAvg.status).toBe(2);
    expect(badAvg.stderr).toMatch(/--average: expected "modality" or "case", found "mean"/);
  });
});

/**
 * Report tables of the hand-made fixture results folder (test/fixtures/results-small, README there):
 * - snapshots of Markdown / CSV / LaTeX / terminal text (committed under test/reports/__snapshots__/);
 * - the numbers in them checked against an independent computation in python3 (csv module + numpy), not against
 *   numbers written into this test;
 * - the rendering rules of ../shared/docs/TABLES.md: fixed modality order, n/a (never NaN or 0), 3D cases first,
 *   best per row in bold, headers saying fraction or percent, the notes every table carries.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../src/reports/model.js';
import { accuracyMarkdown, reportMarkdown, timeMarkdown } from '../../src/reports/markdown.js';
import { accuracyWideCsv, casesLongCsv, labelsLongCsv, timeWideCsv } from '../../src/reports/csv.js';
import { accuracyLatex, timeLatex } from '../../src/reports/latex.js';
import { terminalText } from '../../src/reports/terminal.js';
import { escapeLatex } from '../../src/reports/format.js';
import { formatFixed } from '../../src/text/numbers.js';
import { renderReport, terminalTables } from '../../src/reports/index.js';
import { readRun } from '../../src/results/store.js';

const FIXTURE = path.resolve(import.meta.dirname, '..', 'fixtures', 'results-small');
const SNAP = (name: string) => path.join(import.meta.dirname, '__snapshots__', name);

/** Independent aggregation of the fixture in python (csv + numpy): per-modality means, both averages, rounded text. */
const PY_AGG = String.raw`
import csv, json, sys, math
import numpy as np
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
def val(r, k):
    if r['status'] == 'failed': return 0.0
    # the report's default: means over the per-case values as the official CSV prints them (np.round(x, 4))
    return float('nan') if r[k] == '' else float(np.round(float(r[k]), 4))
variants = list(dict.fromkeys(r['variant'] for r in rows))
mods = sorted(set(r['modality'] for r in rows))
out = {'cells': {}, 'avg_modality': {}, 'avg_case': {}, 'round4': {}, 'round2pct': {}}
for k in ('dsc', 'nsd'):
    out['cells'][k] = {}
    for m in mods:
        out['cells'][k][m] = {}
        for v in variants:
            xs = np.array([val(r, k) for r in rows if r['variant'] == v and r['modality'] == m], dtype=np.float64)
            xs = xs[~np.isnan(xs)]
            out['cells'][k][m][v] = None if xs.size == 0 else float(np.mean(xs))
    out['avg_modality'][k] = {}
    out['avg_case'][k] = {}
    for v in variants:
        ms = [out['cells'][k][m][v] for m in mods if out['cells'][k][m][v] is not None]
        out['avg_modality'][k][v] = float(np.mean(ms)) if ms else None
        xs = np.array([val(r, k) for r in rows if r['variant'] == v], dtype=np.float64)
        xs = xs[~np.isnan(xs)]
        out['avg_case'][k][v] = float(np.mean(xs)) if xs.size else None
def fmt(x, d):
    return 'n/a' if x is None else format(np.round(x, d), '.%df' % d)
for k in ('dsc', 'nsd'):
    out['round4'][k] = {m: {v: fmt(out['cells'][k][m][v], 4) for v in variants} for m in mods}
    out['round4'][k]['Average'] = {v: fmt(out['avg_modality'][k][v], 4) for v in variants}
    out['round2pct'][k] = {m: {v: fmt(None if out['cells'][k][m][v] is None else np.round(out['cells'][k][m][v], 4) * 100, 2) for v in variants} for m in mods}
    out['round2pct'][k]['Average'] = {v: fmt(None if out['avg_case'][k][v] is None else np.round(out['avg_case'][k][v], 4) * 100, 2) for v in variants}
times = {}
for v in variants:
    ok = [float(r['time_s']) for r in rows if r['variant'] == v and r['status'] == 'ok']
    times[v] = {'mean': float(np.mean(ok)), 'median': float(np.median(ok))}
out['times'] = times
print(json.dumps(out))
`;

interface PyAgg {
  cells: Record<'dsc' | 'nsd', Record<string, Record<string, number | null>>>;
  avg_modality: Record<'dsc' | 'nsd', Record<string, number | null>>;
  avg_case: Record<'dsc' | 'nsd', Record<string, number | null>>;
  round4: Record<'dsc' | 'nsd', Record<string, Record<string, string>>>;
  round2pct: Record<'dsc' | 'nsd', Record<string, Record<string, string>>>;
  times: Record<string, { mean: number; median: number }>;
}

let py: PyAgg;
beforeAll(() => {
  py = JSON.parse(execFileSync('python3', ['-c', PY_AGG, path.join(FIXTURE, 'cases.csv')], { encoding: 'utf8' })) as PyAgg;
});

describe('snapshots of the fixture report (fraction, mean of modality means)', () => {
  const m = buildModel(FIXTURE);
  it('Markdown', async () => {
    await expect(reportMarkdown(m)).toMatchFileSnapshot(SNAP('report.md'));
  });
  it('CSV (tidy long + wide paper layouts)', async () => {
    await expect(casesLongCsv(m)).toMatchFileSnapshot(SNAP('cases_long.csv'));
    await expect(labelsLongCsv(m)).toMatchFileSnapshot(SNAP('labels_long.csv'));
    await expect(accuracyWideCsv(m)).toMatchFileSnapshot(SNAP('accuracy_wide.csv'));
    await expect(timeWideCsv(m)).toMatchFileSnapshot(SNAP('time_wide.csv'));
  });
  it('LaTeX', async () => {
    await expect(accuracyLatex(m)).toMatchFileSnapshot(SNAP('accuracy.tex'));
    await expect(timeLatex(m)).toMatchFileSnapshot(SNAP('time.tex'));
  });
  it('terminal', async () => {
    await expect(terminalText(m)).toMatchFileSnapshot(SNAP('terminal.txt'));
  });
});

describe('snapshots with --percent --average case', () => {
  const m = buildModel(FIXTURE, { percent: true, average: 'case' });
  it('Markdown and LaTeX accuracy table', async () => {
    await expect(accuracyMarkdown(m)).toMatchFileSnapshot(SNAP('accuracy_percent_case.md'));
    await expect(accuracyLatex(m)).toMatchFileSnapshot(SNAP('accuracy_percent_case.tex'));
  });
});

describe('numbers against an independent python computation', () => {
  it('wide CSV cells and both averages equal numpy means (1e-12 relative)', () => {
    for (const average of ['modality', 'case'] as const) {
      const m = buildModel(FIXTURE, { average });
      const rows = parse<Record<string, string>>(accuracyWideCsv(m), { columns: true });
      for (const metric of ['dsc', 'nsd'] as const) {
        for (const v of m.variants) {
          const col = `${v.name} ${metric.toUpperCase()} (0-1)`;
          for (const r of rows) {
            const expected = r.Modality!.startsWith('Average')
              ? py[average === 'modality' ? 'avg_modality' : 'avg_case'][metric][v.name]
              : py.cells[metric][r.Modality!]![v.name];
            if (expected === null || expected === undefined) expect(r[col], `${col} ${r.Modality}`).toBe('');
            else expect(Number(r[col])).toBeCloseTo(expected, 12);
          }
        }
      }
    }
  });

  it('printed cells equal python round(x, 4) / round(100x, 2) text, n/a where numpy has no value', () => {
    const frac = buildModel(FIXTURE);
    const pct = buildModel(FIXTURE, { percent: true, average: 'case' });
    for (const metric of ['dsc', 'nsd'] as const) {
      for (const r of frac.accuracyRows) for (const v of frac.variants) expect(r.text[metric][v.name]).toBe(py.round4[metric][r.name]![v.name]);
      for (const r of pct.accuracyRows) for (const v of pct.variants) expect(r.text[metric][v.name]).toBe(py.round2pct[metric][r.name]![v.name]);
    }
  });

  it('time summary rows equal numpy mean/median over ok cases', () => {
    const m = buildModel(FIXTURE);
    const [meanRow, medianRow] = m.timeSummary;
    for (const v of m.variants) {
      expect(meanRow!.time[v.name]).toBeCloseTo(py.times[v.name]!.mean, 12);
      expect(medianRow!.time[v.name]).toBeCloseTo(py.times[v.name]!.median, 12);
    }
  });
});

describe('rendering rules', () => {
  const m = buildModel(FIXTURE);

  it('modality rows in the documented order, Average last, N = cases per modality', () => {
    expect(m.accuracyRows.map((r) => r.name)).toEqual(['CT', 'MR', 'PET', 'US', 'X-Ray', 'Dermoscopy', 'Microscope', 'Average']);
    expect(m.accuracyRows.map((r) => r.nCases)).toEqual([1, 2, 1, 1, 1, 1, 1, 8]);
  });

  it('no NaN text anywhere; a modality without a valid DSC prints n/a, not 0', () => {
    // table cells only (the notes may explain NaN): Markdown rows, LaTeX rows, CSV, terminal before "Notes:"
    const cells = [
      ...reportMarkdown(m).split('\n').filter((l) => l.startsWith('|')),
      ...(accuracyLatex(m) + timeLatex(m)).split('\n').filter((l) => l.includes(' & ')),
      ...[accuracyWideCsv(m), timeWideCsv(m), casesLongCsv(m)].flatMap((t) => t.split('\n')),
      ...terminalText(m).split('Notes:')[0]!.split('\n'),
    ];
    expect(cells.length).toBeGreaterThan(40);
    for (const line of cells) expect(line).not.toMatch(/NaN|Infinity|undefined/);
    const pet = m.accuracyRows.find((r) => r.name === 'PET')!;
    for (const v of m.variants) expect(pet.text.dsc[v.name]).toBe('n/a');
    expect(reportMarkdown(m)).toMatch(/^\| PET \| 1 \| n\/a \|/m);
  });

  it('running-time rows: 3D cases first, then 2D; failed case marked; mean and median rows', () => {
    const dims = m.timeRows.map((r) => r.dim);
    expect(dims).toEqual([...dims].sort((a, b) => b - a));
    expect(dims[0]).toBe(3);
    expect(dims[dims.length - 1]).toBe(2);
    const failed = m.timeRows.find((r) => r.case === '3DBox_MR_0002')!;
    expect(failed.status.aug_int8).toBe('failed');
    expect(failed.text.aug_int8).toMatch(/\u2020$/);
    expect(m.timeSummary.map((s) => s.name)).toEqual(['Mean', 'Median']);
    expect(m.timeSummary[0]!.n.aug_int8).toBe(7);
    expect(timeMarkdown(m)).toMatch(/^\| 3DBox_CT_0001 \| \(30, 101, 122\) \| 37 \|/m);
  });

  it('best variant per row is bold (Markdown **, LaTeX \\textbf) and is the maximum', () => {
    const mr = m.accuracyRows.find((r) => r.name === 'MR')!;
    const max = Math.max(...m.variants.map((v) => mr.values.dsc[v.name]!));
    expect(mr.best.dsc.map((v) => mr.values.dsc[v]!)).toEqual([max]);
    expect(accuracyMarkdown(m)).toMatch(/^\| MR \| 2 \| \*\*1\.0000\*\*/m);
    expect(accuracyLatex(m)).toMatch(/^MR & 2 & \\textbf\{1\.0000\}/m);
  });

  it('headers say fraction or percent; the Average title says which average', () => {
    // a non-breaking space keeps the unit with its metric (headers never wrap inside a unit)
    expect(accuracyMarkdown(m)).toContain('Oracle DSC\u00a0(0-1)');
    expect(accuracyMarkdown(m)).toContain('Average (mean of modality means)');
    const p = buildModel(FIXTURE, { percent: true, average: 'case' });
    expect(accuracyMarkdown(p)).toContain('Oracle DSC\u00a0(%)');
    expect(accuracyMarkdown(p)).toContain('Average (mean over cases)');
    expect(accuracyLatex(p)).toContain('\\multicolumn{2}{l}{percent (\\%)}');
    expect(accuracyLatex(m)).toContain('\\multicolumn{2}{l}{fraction (0--1)}');
  });

  it('each fact once: report.md states metric mode, tolerance, spacing and what the times include once, after the results; each LaTeX table carries its own', () => {
    const md = reportMarkdown(m).replace(/\s+/g, ' ');
    for (const fact of [/Metric mode: official/g, /tolerance: 2 mm/g, /spacing convention: as-stored/g, /model load excluded/g, /container start and model load/g]) {
      expect(md.match(fact), String(fact)).toHaveLength(1);
    }
    // results first, metadata after
    const raw = reportMarkdown(m);
    expect(raw.indexOf('### Accuracy per modality')).toBeLessThan(raw.indexOf('### Run\n'));
    expect(raw.indexOf('### Running time per case')).toBeLessThan(raw.indexOf('### Run\n'));
    const acc = accuracyLatex(m).replace(/\s+/g, ' ');
    expect(acc).toMatch(/metric mode:? official/i);
    expect(acc).toMatch(/tolerance:? 2 ?(~)?mm/);
    expect(acc).not.toContain('model load excluded');
    const time = timeLatex(m).replace(/\s+/g, ' ');
    expect(time).toContain('model load excluded');
    expect(time).toContain('container start and model load');
    expect(time).not.toMatch(/Metric mode: official/);
    const term = terminalText(m, 120, { verbose: true }).replace(/\s+/g, ' ');
    for (const t of ['Metric mode: official', 'model load excluded', 'container start and model load']) expect(term).toContain(t);
  });

  it('LaTeX: booktabs, escaped labels and case ids, balanced braces', () => {
    const tex = accuracyLatex(m) + timeLatex(m);
    expect(tex).toContain('\\toprule');
    expect(tex).toContain('\\bottomrule');
    expect(tex).toContain('Aug. \\& INT8\\\\(Proposed)');
    expect(tex).toContain('3DBox\\_CT\\_0001');
    for (const line of tex.split('\n').filter((l) => !l.startsWith('%'))) expect(line).not.toMatch(/(?<!\\)[_%#]/);
    let depth = 0;
    for (const ch of tex.replace(/\\[{}]/g, '')) {
      if (ch === '{') depth++;
      if (ch === '}') depth--;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
    expect(escapeLatex('a_b & c%d #e $f ^g ~h \\i {j}')).toBe(
      'a\\_b \\& c\\%d \\#e \\$f \\textasciicircum{}g \\textasciitilde{}h \\textbackslash{}i \\{j\\}',
    );
  });

  it('terminal tables fit 120 columns', () => {
    for (const line of terminalTables(FIXTURE).split('\n')) expect(line.length).toBeLessThanOrEqual(120);
  });

  it('terminalTables accepts RunData as bench run holds it', () => {
    expect(terminalTables(readRun(FIXTURE))).toBe(terminalTables(FIXTURE));
  });
});

describe('formatFixed (np.round, the one 4-decimal rule)', () => {
  it('rounds ties of the float product to even as the official CSV (METRICS.md: 0.28125 -> 0.2812, 0.65625 -> 0.6562; 1/160 -> 0.0062)', () => {
    expect(formatFixed(0.28125, 4)).toBe('0.2812');
    expect(formatFixed(0.65625, 4)).toBe('0.6562');
    // Python's round(1/160, 4) gives 0.0063 (exact decimal); np.round and compute_metrics.py's CSV give 0.0062
    expect(formatFixed(1 / 160, 4)).toBe('0.0062');
    expect(formatFixed(-0.00001, 4)).toBe('0.0000');
  });

  it('equals numpy format(np.round(x, d), ".df") on 3000 values, incl. ties and carries', () => {
    const xs: number[] = [];
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 1000; i++) xs.push(rnd());
    for (let i = 0; i < 1000; i++) xs.push(Math.round(rnd() * 1e5) / 1e5 + 0.000005); // near 4-decimal ties
    for (let i = 0; i < 500; i++) xs.push(Math.round(rnd() * 32768) / 32768); // exact binary ties
    for (let i = 0; i < 500; i++) xs.push(rnd() * 1000);
    xs.push(0, 0.99995, 0.999949999, 9.99995, 0.00005, 0.00015, 1, 100);
    const code = 'import sys, json\nimport numpy as np\nxs = json.load(sys.stdin)\nprint(json.dumps([[format(np.round(x, 4), ".4f"), format(np.round(x, 2), ".2f"), format(np.round(x, 3), ".3f")] for x in xs]))';
    const expected = JSON.parse(execFileSync('python3', ['-c', code], { input: JSON.stringify(xs), encoding: 'utf8' })) as string[][];
    xs.forEach((x, i) => {
      expect([formatFixed(x, 4), formatFixed(x, 2), formatFixed(x, 3)], String(x)).toEqual(expected[i]);
    });
  });
});

describe('renderReport', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(path.join(tmpdir(), 'medseg-report-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes the asked formats only, into outDir, and the files equal the snapshots', async () => {
    const { files } = await renderReport(FIXTURE, { formats: ['md', 'csv', 'tex'], outDir: out });
    expect(files.map((f) => path.basename(f))).toEqual([
      'report.md', 'cases_long.csv', 'labels_long.csv', 'accuracy_wide.csv', 'time_wide.csv', 'accuracy.tex', 'time.tex',
      'ranking.md', 'ranking.csv', 'ranking.tex', // the fixture has 3 variants: the Ranking section and its tables
    ]);
    // report.md of renderReport = the tables (snapshot report.md) with the Ranking section (report-with-ranking.md);
    // ranking.csv names the run folder by its absolute path, so it is checked by its header only
    const snap: Record<string, string> = { 'report.md': 'report-with-ranking.md' };
    for (const f of files) {
      const name = path.basename(f);
      if (name === 'ranking.csv') expect(readFileSync(f, 'utf8')).toMatch(/^scope,n_cases,participant,title,run_dir,variant,rank,score,/);
      else expect(readFileSync(f, 'utf8'), name).toBe(readFileSync(SNAP(snap[name] ?? name), 'utf8'));
    }
    const withRanking = readFileSync(SNAP('report-with-ranking.md'), 'utf8');
    expect(withRanking.replace(/### Ranking\n[\s\S]*?(?=### Run\n)/, '')).toBe(readFileSync(SNAP('report.md'), 'utf8'));
  });

  it('rejects an unknown format and a folder without run.json with clear messages', async () => {
    await expect(renderReport(FIXTURE, { formats: ['pdf' as never], outDir: out })).rejects.toThrow(/unknown report format "pdf"/);
    await expect(renderReport(out, { outDir: out })).rejects.toThrow(/run\.json: not found/);
  });
});

describe('other shapes of runs', () => {
  it('six variants with long names: terminal tables split into blocks within 120 columns, every variant shown', () => {
    const run = readRun(FIXTURE);
    const names = Array.from({ length: 6 }, (_, i) => `litemedsam-variant-with-a-long-name-${i}`);
    const cases = names.flatMap((n, i) => run.cases.filter((r) => r.variant === run.meta.variants[i % 3]!.name).map((r) => ({ ...r, variant: n })));
    const meta = { ...run.meta, variants: names.map((n, i) => ({ ...run.meta.variants[i % 3]!, name: n, label: undefined })) };
    const text = terminalTables({ ...run, meta, cases });
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(120);
    for (const n of names) expect(text).toContain(n);
    const m = buildModel({ ...run, meta, cases });
    expect(accuracyMarkdown(m)).toContain(`${names[5]} NSD\u00a0(0-1)`);
  });

  it('a run with no case rows yet (just started) renders n/a everywhere, no NaN, no crash', async () => {
    const run = readRun(FIXTURE);
    const empty = { ...run, cases: [], labels: [] };
    const m = buildModel(empty);
    expect(m.accuracyRows.map((r) => r.name)).toEqual(['Average']);
    expect(m.timeRows).toEqual([]);
    for (const t of [reportMarkdown(m), accuracyLatex(m), timeLatex(m), terminalText(m)]) expect(t).toContain('n/a');
    for (const t of [accuracyWideCsv(m), timeWideCsv(m)]) expect(t).not.toMatch(/NaN/);
  });
});

describe('column selection, failed cells, terminal width', () => {
  it('--variants selects and orders the columns without re-running; an unknown name is an error naming the known ones', () => {
    const m = buildModel(FIXTURE, { variants: ['aug_int8', 'oracle'] });
    expect(m.variants.map((v) => v.name)).toEqual(['aug_int8', 'oracle']);
    expect(m.run.cases.every((r) => r.variant !== 'noaug-fp32')).toBe(true);
    expect(accuracyMarkdown(m).split('\n')[2]).toMatch(/^\| Modality \| N \| Aug\. & INT8 \(Proposed\) DSC/);
    expect(() => buildModel(FIXTURE, { variants: ['nope'] })).toThrow(/--variants: "nope" not in run fixture-results-small \(variants: oracle, noaug-fp32, aug_int8\)/);
  });
  it('a variant whose cases all failed reads "failed", never 0.0000; the mean still counts 0; no bold on a tie of zeros', () => {
    const run = readRun(FIXTURE);
    const cases = run.cases.map((r) => (r.variant === 'noaug-fp32' ? { ...r, status: 'failed' as const, dsc: 0, nsd: 0, time_s: NaN, error: 'could not start: model file missing' } : r));
    const m = buildModel({ ...run, cases });
    const avg = m.accuracyRows.find((r) => r.kind === 'average')!;
    expect(avg.text.dsc['noaug-fp32']).toBe('failed');
    expect(avg.values.dsc['noaug-fp32']).toBe(0);
    expect(m.timeRows[0]!.text['noaug-fp32']).toBe('failed');
    expect(m.accuracyNotes.join(' ')).toContain('noaug-fp32 on 3DBox_CT_0001 (could not start: model file missing)');
    // PET: NSD 0 for every variant -> no best mark
    expect(m.accuracyRows.find((r) => r.name === 'PET')!.best.nsd).toEqual([]);
  });
  it('five variants fit 200 columns unsplit; 80 columns split into readable blocks within 80', () => {
    const run = readRun(FIXTURE);
    const names = ['noaug-fp32', 'noaug-int8', 'aug-fp32', 'aug-int8', 'oracle'];
    const labels = ['Baseline', 'w/o Data Augmentation', 'w/o Model Quantization', 'Proposed', 'Oracle'];
    const base = run.cases.filter((r) => r.variant === 'noaug-fp32');
    const cases = names.flatMap((n) => base.map((r) => ({ ...r, variant: n })));
    const meta = { ...run.meta, variants: names.map((n, i) => ({ ...run.meta.variants[0]!, name: n, label: labels[i] })) };
    const wide = terminalTables({ ...run, meta, cases }, { width: 200 });
    const acc = wide.split('\n\n').find((b) => /Modality/.test(b))!;
    expect(acc.split('\n')[0]).toMatch(/Baseline.*w\/o Data Augmentation.*w\/o Model Quantization.*Proposed.*Oracle/);
    for (const line of wide.split('\n')) expect(line.length).toBeLessThanOrEqual(200);
    const narrow = terminalTables({ ...run, meta, cases }, { width: 80 });
    for (const line of narrow.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    for (const l of labels) expect(narrow).toContain(l);
  });
});

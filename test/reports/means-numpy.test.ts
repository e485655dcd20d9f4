/**
 * The report's modality means on REAL results folders (test/gate/fixtures/real-demo2d: oracle and aug-int8 on the 2D
 * demo cases, recorded by `bench run`), checked against numpy: by default each cell is the mean over the per-case
 * values as the official per-case CSV prints them (np.round(x, 4)), printed with np.round(., 4) — what a user gets
 * from the official CSV with pandas; `--unrounded-means` gives the mean of the full-precision values.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/reports/model.js';
import { reportMarkdown } from '../../src/reports/markdown.js';

const RUNS = ['a1', 'a2', 'shrunk'].map((r) => path.join(import.meta.dirname, '..', 'gate', 'fixtures', 'real-demo2d', r));

const PY = String.raw`
import csv, json, sys
import numpy as np
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
rounded = sys.argv[2] == 'csv'
def val(r, k):
    if r['status'] == 'failed': return 0.0
    x = float('nan') if r[k] == '' else float(r[k])
    return float(np.round(x, 4)) if rounded else x
out = {}
for v in dict.fromkeys(r['variant'] for r in rows):
    for k in ('dsc', 'nsd'):
        mods = {}
        for r in rows:
            if r['variant'] == v: mods.setdefault(r['modality'], []).append(val(r, k))
        means = {m: float(np.nanmean(xs)) for m, xs in mods.items()}
        avg = float(np.mean(list(means.values())))
        for m, x in list(means.items()) + [('Average', avg)]:
            out['%s|%s|%s' % (v, k, m)] = [x, format(np.round(x, 4), '.4f')]
print(json.dumps(out))
`;

describe('modality means against numpy on real runs', () => {
  for (const dir of RUNS) {
    for (const values of ['csv', 'unrounded'] as const) {
      it(`${path.basename(dir)}: ${values} per-case values`, () => {
        const ref = JSON.parse(execFileSync('python3', ['-c', PY, path.join(dir, 'cases.csv'), values], { encoding: 'utf8' })) as Record<string, [number, string]>;
        const m = buildModel(dir, { caseValues: values });
        let checked = 0;
        for (const row of m.accuracyRows) {
          for (const v of m.variants) {
            for (const k of ['dsc', 'nsd'] as const) {
              const r = ref[`${v.name}|${k}|${row.name}`];
              expect(r, `${v.name} ${k} ${row.name}`).toBeDefined();
              expect(row.values[k][v.name]).toBeCloseTo(r![0], 12);
              expect(row.text[k][v.name]).toBe(r![1]);
              checked++;
            }
          }
        }
        expect(checked).toBeGreaterThan(10);
        expect(reportMarkdown(m)).toMatch(values === 'csv' ? /as the official per-case CSV prints them \(np\.round\(x, 4\)\)/ : /unrounded per-case values/);
      });
    }
  }
});

describe('one 4-decimal rule: report cells print what bench metrics writes in the official CSV', () => {
  it('formatMetric(x) equals the official CSV value for 1/160 and 4000 values near 4-decimal ties', async () => {
    const { formatMetric } = await import('../../src/reports/format.js');
    const { officialCsvValue } = await import('../../src/metrics/numeric.js');
    expect(formatMetric(1 / 160, false)).toBe('0.0062');
    expect(officialCsvValue(1 / 160)).toBe('0.0062');
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 4000; i++) {
      const x = i % 2 ? rnd() : (Math.floor(rnd() * 1e4) + 0.5) / 1e4;
      expect(Number(formatMetric(x, false)), String(x)).toBe(Number(officialCsvValue(x)));
    }
  });
});

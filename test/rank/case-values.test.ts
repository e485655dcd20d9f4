/**
 * One rule for the case values of means: the ranking's Mean DSC/NSD uses the per-case values as the official CSV
 * prints them (np.round(x, 4), the report's `caseValues: 'csv'`), so it equals the accuracy table's mean over cases
 * (the fixture's values have 7-16 decimals; means of rounded and unrounded values differ in the 5th-6th decimal).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRun } from '../../src/results/store.js';
import { rankInputFromRuns } from '../../src/rank/participants.js';
import { computeRanking } from '../../src/rank/schemes.js';
import { buildModel } from '../../src/reports/model.js';
import { npRound } from '../../src/text/numbers.js';

const FIXTURE = path.resolve(import.meta.dirname, '..', 'fixtures', 'results-small');

describe('ranking means use the CSV case values', () => {
  it('Mean DSC/NSD equal the report table mean over cases, not the full-precision mean', () => {
    const run = readRun(FIXTURE);
    const ranking = computeRanking(rankInputFromRuns([run]), { resamples: 0 });
    const all = ranking.scopes.find((s) => s.name === 'All')!;
    const model = buildModel(FIXTURE, { average: 'case' });
    for (const e of all.entries) {
      const v = ranking.input.participants[e.participant]!.variant;
      for (const metric of ['dsc', 'nsd'] as const) {
        const rows = run.cases.filter((r) => r.variant === v && (r.status === 'failed' || !Number.isNaN(r[metric])));
        // independent: mean of np.round(x, 4) (failed = 0) vs mean of the full values
        const csvMean = rows.reduce((s, r) => s + (r.status === 'failed' ? 0 : npRound(r[metric], 4)), 0) / rows.length;
        const fullMean = rows.reduce((s, r) => s + (r.status === 'failed' ? 0 : r[metric]), 0) / rows.length;
        expect(e.mean[metric]).toBeCloseTo(csvMean, 12);
        expect(e.mean[metric]).toBeCloseTo(model.table.average[metric][v]!.mean, 12);
        if (v !== 'oracle') expect(Math.abs(csvMean - fullMean)).toBeGreaterThan(1e-7); // the fixture tells them apart
      }
    }
  });
});

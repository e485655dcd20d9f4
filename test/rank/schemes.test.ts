/**
 * Rankings of small hand-made examples, computed by hand in the comments; the bootstrap is re-done independently in
 * python (numpy RandomState = the same Mersenne Twister, scipy rankdata / kendalltau).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { CaseRow, RunData, RunMeta } from '../../src/results/store.js';
import { rankInputFromRuns } from '../../src/rank/participants.js';
import { computeRanking } from '../../src/rank/schemes.js';

type Cell = [dsc: number, nsd: number, time: number] | 'failed';

/** A RunData with one row per variant x case; `cases` maps case name -> modality. */
export function fakeRun(dir: string, table: Record<string, Record<string, Cell>>, meta: Partial<RunMeta['metrics']> = {}): RunData {
  const rows: CaseRow[] = [];
  for (const [variant, byCase] of Object.entries(table)) {
    for (const [name, cell] of Object.entries(byCase)) {
      const modality = name.split('_')[1]!;
      const failed = cell === 'failed';
      rows.push({
        variant, case: name, modality, dim: 2, shape: '(8, 8, 3)', n_objects: 1, status: failed ? 'failed' : 'ok',
        dsc: failed ? 0 : cell[0], nsd: failed ? 0 : cell[1], time_s: failed ? NaN : cell[2], time_s_min: NaN, time_s_max: NaN,
        time_s_cold: NaN, repeats: 1, encoder_calls: 1, decoder_calls: 1, peak_rss_mb: NaN,
        cpu_s: NaN, other_cpu_share: NaN, load_start: NaN, load_end: NaN, error: failed ? 'boom' : '',
      });
    }
  }
  const m = {
    run_id: dir, started_at: '', finished_at: '', command: [], harness: { name: 'medseg-bench', version: '0', git_commit: null },
    machine: { cpu_model: '', cores: 1, memory_gb: 1, platform: 'linux', arch: 'x64' }, versions: {}, threads: { intra_op: 1 },
    metrics: { mode: 'official', tolerance_mm: 2, spacing_order: 'as-stored', ...meta }, timing: { repeat: 1, warmup: 0, includes: {} },
    cases_dir: '', variants: Object.keys(table).map((name) => ({ name, kind: 'onnx', definition: {} })),
  } as RunMeta;
  return { dir, meta: m, cases: rows, labels: [], warnings: [], truncated: [] };
}

/*
 * Example 1: participants A, B, C; cases c1, c2 (CT) and c3, c4 (MR); A failed c4.
 *
 *            DSC                  NSD                   time (s)
 *        c1   c2   c3   c4    c1   c2   c3   c4     c1  c2  c3  c4
 *   A   .9   .8   .7   fail  .95  .85  .6   fail     1   2   1  fail
 *   B   .8   .8   .9   .6    .9   .7   .8   .7       2   1   3   2
 *   C   .7   .9   .6   .5    .6   .9   .7   .4       3   3   2   1
 *
 * Rank-then-aggregate, per-case ranks (1 best, ties share the mean, failed = worst = 3):
 *   DSC   c1: A1 B2 C3 | c2: C1 A2.5 B2.5 | c3: B1 A2 C3 | c4: A3 B1 C2  -> sums A 8.5, B 6.5, C 9
 *   NSD   c1: A1 B2 C3 | c2: C1 A2 B3     | c3: B1 C2 A3 | c4: A3 B1 C2  -> sums A 9,   B 7,   C 8
 *   time  c1: A1 B2 C3 | c2: B1 A2 C3     | c3: A1 C2 B3 | c4: A3 C1 B2  -> sums A 7,   B 8,   C 9
 *   score (weights 1,1,1) = sum of the three sums / 4 cases / 3 participants / 3 metrics:
 *     A 24.5/36 = 0.680556, B 21.5/36 = 0.597222, C 26/36 = 0.722222  -> B 1, A 2, C 3
 *   weights DSC 2, NSD 1, time 0: (2 DSC + NSD) / 4 / 3 / 3: A 26/36, B 20/36, C 26/36 -> B 1, A 2.5, C 2.5
 *   CT only (c1, c2): sums A 3.5+3+3 = 9.5, B 4.5+5+3 = 12.5, C 4+4+6 = 14 -> A 1, B 2, C 3
 *   MR only (c3, c4): sums A 5+6+4 = 15,  B 2+2+5 = 9,  C 5+4+3 = 12 -> B 1, C 2, A 3
 * Aggregate-then-rank (failed = 0 for DSC/NSD, time over ok cases):
 *   DSC  A 2.4/4 = .6, B 3.1/4 = .775, C 2.7/4 = .675 -> B1 C2 A3
 *   NSD  A 2.4/4 = .6, B 3.1/4 = .775, C 2.6/4 = .65  -> B1 C2 A3
 *   time A 4/3 = 1.333, B 8/4 = 2, C 9/4 = 2.25       -> A1 B2 C3
 *   mean of the metric ranks A 7/3, B 4/3, C 7/3      -> B 1, A 2.5, C 2.5
 * Test-then-rank: 4 cases, the smallest exact one-sided Wilcoxon p is 1/2^4 = 0.0625 > 0.05: no win, all rank 2.
 */
const EXAMPLE1: Record<string, Record<string, Cell>> = {
  A: { '2DBox_CT_c1': [0.9, 0.95, 1], '2DBox_CT_c2': [0.8, 0.85, 2], '2DBox_MR_c3': [0.7, 0.6, 1], '2DBox_MR_c4': 'failed' },
  B: { '2DBox_CT_c1': [0.8, 0.9, 2], '2DBox_CT_c2': [0.8, 0.7, 1], '2DBox_MR_c3': [0.9, 0.8, 3], '2DBox_MR_c4': [0.6, 0.7, 2] },
  C: { '2DBox_CT_c1': [0.7, 0.6, 3], '2DBox_CT_c2': [0.9, 0.9, 3], '2DBox_MR_c3': [0.6, 0.7, 2], '2DBox_MR_c4': [0.5, 0.4, 1] },
};

describe('rank-then-aggregate, aggregate-then-rank, test-then-rank on hand-made example 1', () => {
  const input = rankInputFromRuns([fakeRun('run1', EXAMPLE1)]);
  const r = computeRanking(input, { resamples: 0 });
  const all = r.scopes[0]!;
  const by = (f: (e: (typeof all.entries)[number]) => number, scope = all) => Object.fromEntries(scope.entries.map((e) => [input.participants[e.participant]!.id, f(e)]));

  it('pins the per-case ranks, scores and final ranks (All)', () => {
    expect(all.name).toBe('All');
    expect(all.caseRanks.dsc).toEqual([[1, 2.5, 2, 3], [2, 2.5, 1, 1], [3, 1, 3, 2]]);
    expect(all.caseRanks.nsd).toEqual([[1, 2, 3, 3], [2, 3, 1, 1], [3, 1, 2, 2]]);
    expect(all.caseRanks.time).toEqual([[1, 2, 1, 3], [2, 1, 3, 2], [3, 3, 2, 1]]);
    const s = by((e) => e.score);
    expect(s.A).toBeCloseTo(24.5 / 36, 14);
    expect(s.B).toBeCloseTo(21.5 / 36, 14);
    expect(s.C).toBeCloseTo(26 / 36, 14);
    expect(by((e) => e.rank)).toEqual({ A: 2, B: 1, C: 3 });
  });
  it('weights change the ranking: DSC 2, NSD 1, time 0 ties A and C', () => {
    const w = computeRanking(input, { resamples: 0, weights: { dsc: 2, nsd: 1, time: 0 } }).scopes[0]!;
    expect(w.entries.map((e) => e.rank)).toEqual([2.5, 1, 2.5]);
    expect(w.entries.map((e) => e.score)).toEqual([26 / 36, 20 / 36, 26 / 36].map((x) => expect.closeTo(x, 14)));
  });
  it('ranks per modality', () => {
    expect(r.scopes.map((s) => [s.name, s.nCases])).toEqual([['All', 4], ['CT', 2], ['MR', 2]]);
    expect(r.scopes[1]!.entries.map((e) => e.rank)).toEqual([1, 2, 3]);
    expect(r.scopes[1]!.entries.map((e) => e.score)).toEqual([9.5 / 18, 12.5 / 18, 14 / 18].map((x) => expect.closeTo(x, 14)));
    expect(r.scopes[2]!.entries.map((e) => e.rank)).toEqual([3, 1, 2]);
  });
  it('aggregate-then-rank: means (failed counts 0, time over ok cases), metric ranks, overall', () => {
    expect(all.entries.map((e) => e.mean.dsc)).toEqual([0.6, 0.775, 0.675].map((x) => expect.closeTo(x, 14)));
    expect(all.entries.map((e) => e.mean.nsd)).toEqual([0.6, 0.775, 0.65].map((x) => expect.closeTo(x, 14)));
    expect(all.entries.map((e) => e.mean.time)).toEqual([4 / 3, 2, 2.25].map((x) => expect.closeTo(x, 14)));
    expect(all.entries.map((e) => e.meanRank)).toEqual([{ dsc: 3, nsd: 3, time: 1 }, { dsc: 1, nsd: 1, time: 2 }, { dsc: 2, nsd: 2, time: 3 }]);
    expect(all.entries.map((e) => e.aggregateRank)).toEqual([2.5, 1, 2.5]);
  });
  it('test-then-rank: no significant win with 4 cases (min p = 1/16)', () => {
    expect(all.entries.map((e) => e.testRank)).toEqual([2, 2, 2]);
    for (const m of ['dsc', 'nsd', 'time'] as const) for (const row of all.pValues[m]) for (const p of row) if (!Number.isNaN(p)) expect(p).toBeGreaterThanOrEqual(1 / 16);
  });
});

/*
 * Example 2 (test-then-rank): X, Y, Z on 5 CT cases; NSD = DSC, every time 1 s (time differences all 0: p = 1).
 *   Z DSC .5 .6 .4 .7 .3;  Y = Z + (.1, -.2, .3, -.4, .5) = .6 .4 .7 .3 .8;  X = .9 everywhere.
 *   X - Y and X - Z: five positive differences with distinct sizes -> exact one-sided p = 1/32 = 0.03125 < 0.05.
 *   Y vs Z: |d| ranks 1..5, positive ranks 1 + 3 + 5 = 9 -> P(T >= 9) = 13/32; Z vs Y: positive ranks 2 + 4 = 6,
 *   P(T >= 6) = 1 - P(T <= 5) = 1 - 10/32 = 22/32 (sign patterns of 1..5 with sum <= 5: 0,1,2,3,12,4,13,5,14,23).
 *   Y, Z vs X: p = 1.
 *   Without Holm: wins DSC X 2, NSD X 2 -> X 1, Y and Z tie at 2.5.
 *   With Holm over the 6 ordered pairs: 6 x 1/32 = 0.1875 > 0.05 -> no win -> all tie at 2.
 */
const EXAMPLE2: Record<string, Record<string, Cell>> = Object.fromEntries(
  Object.entries({ X: [0.9, 0.9, 0.9, 0.9, 0.9], Y: [0.6, 0.4, 0.7, 0.3, 0.8], Z: [0.5, 0.6, 0.4, 0.7, 0.3] }).map(([k, v]) => [
    k,
    Object.fromEntries(v.map((d, i) => [`2DBox_CT_${i}`, [d, d, 1] as Cell])),
  ]),
);

describe('test-then-rank on hand-made example 2', () => {
  const input = rankInputFromRuns([fakeRun('run2', EXAMPLE2)]);
  it('without Holm: X wins twice per accuracy metric', () => {
    const s = computeRanking(input, { resamples: 0, holm: false }).scopes[0]!;
    expect(s.entries.map((e) => e.wins)).toEqual([{ dsc: 2, nsd: 2, time: 0 }, { dsc: 0, nsd: 0, time: 0 }, { dsc: 0, nsd: 0, time: 0 }]);
    expect(s.entries.map((e) => e.testRank)).toEqual([1, 2.5, 2.5]);
    expect(s.pValues.dsc[0]![1]).toBeCloseTo(1 / 32, 14);
    expect(s.pValues.dsc[1]![2]).toBeCloseTo(13 / 32, 14);
    expect(s.pValues.dsc[2]![1]).toBeCloseTo(22 / 32, 14);
    expect(s.pValues.time[0]![1]).toBe(1);
  });
  it('with Holm: no significant win', () => {
    const s = computeRanking(input, { resamples: 0 }).scopes[0]!;
    expect(s.pValues.dsc[0]![1]).toBeCloseTo(6 / 32, 14);
    expect(s.entries.map((e) => e.testRank)).toEqual([2, 2, 2]);
  });
});

describe('bootstrap rank stability', () => {
  it('matches an independent python bootstrap (numpy RandomState(7), rankdata, kendalltau), 1000 resamples', () => {
    const input = rankInputFromRuns([fakeRun('run1', EXAMPLE1)]);
    const r = computeRanking(input, { resamples: 1000, seed: 7 });
    const all = r.scopes[0]!;
    const ref = JSON.parse(
      execFileSync(
        'python3',
        [
          '-c',
          `
import json, sys
import numpy as np
from scipy.stats import rankdata, kendalltau
d = json.load(sys.stdin)
R = {m: np.array(d[m]) for m in ('dsc', 'nsd', 'time')}
P, C = R['dsc'].shape
rs = np.random.RandomState(7)
def ranking(cols):
    score = sum(R[m][:, cols].mean(axis=1) / P for m in R) / 3
    return rankdata([float('%.12g' % x) for x in score])  # ties at 12 significant digits, as the harness
full = ranking(list(range(C)))
taus, ranks = [], []
for b in range(1000):
    cols = [int(np.floor(rs.random_sample() * C)) for _ in range(C)]
    r = ranking(cols)
    ranks.append(r.tolist())
    t = kendalltau(r, full).statistic
    taus.append(0.0 if np.isnan(t) else float(t))
print(json.dumps({'tau_median': float(np.median(taus)), 'tau_mean': float(np.mean(taus)), 'tau_low': float(np.quantile(taus, 0.025)),
                  'rank_median': np.median(ranks, axis=0).tolist(), 'rank1_share': (np.array(ranks) == 1).mean(axis=0).tolist()}))`,
        ],
        { encoding: 'utf8', input: JSON.stringify(all.caseRanks) },
      ),
    ) as { tau_median: number; tau_mean: number; tau_low: number; rank_median: number[]; rank1_share: number[] };
    expect(all.tau!.resamples).toBe(1000);
    expect(all.tau!.median).toBeCloseTo(ref.tau_median, 12);
    expect(all.tau!.mean).toBeCloseTo(ref.tau_mean, 12);
    expect(all.tau!.low).toBeCloseTo(ref.tau_low, 12);
    expect(all.entries.map((e) => e.bootstrap!.median)).toEqual(ref.rank_median);
    expect(all.entries.map((e) => (e.bootstrap!.counts.get(1) ?? 0) / 1000)).toEqual(ref.rank1_share.map((x) => expect.closeTo(x, 12)));
    for (const e of all.entries) expect([...e.bootstrap!.counts.values()].reduce((a, b) => a + b, 0)).toBe(1000);
    // the same seed gives the same result
    expect(computeRanking(input, { resamples: 1000, seed: 7 }).scopes[0]!.tau).toEqual(all.tau);
  });
});

describe('combining results folders', () => {
  const half = (keys: string[]) => Object.fromEntries(Object.entries(EXAMPLE1).filter(([k]) => keys.includes(k)));
  it('ranks variants of two runs together (same case set, same metric settings)', () => {
    const input = rankInputFromRuns([fakeRun('/r/team1', half(['A', 'B'])), fakeRun('/r/team2', half(['C']))]);
    expect(input.participants.map((p) => p.id)).toEqual(['A', 'B', 'C']);
    expect(computeRanking(input, { resamples: 0 }).scopes[0]!.entries.map((e) => e.rank)).toEqual([2, 1, 3]);
  });
  it('prefixes the folder name when variant names clash', () => {
    const input = rankInputFromRuns([fakeRun('/r/team1', half(['A'])), fakeRun('/r/team2', half(['A']))]);
    expect(input.participants.map((p) => p.id)).toEqual(['team1:A', 'team2:A']);
  });
  it('refuses different metric modes, tolerances and case sets unless allowed', () => {
    expect(() => rankInputFromRuns([fakeRun('/r/a', half(['A'])), fakeRun('/r/b', half(['B']), { mode: 'strict' })])).toThrow(
      /not comparable: metric mode: official in \/r\/a, strict in \/r\/b.*--allow-mismatch/,
    );
    expect(() => rankInputFromRuns([fakeRun('/r/a', half(['A'])), fakeRun('/r/b', half(['B']), { tolerance_mm: 1 })])).toThrow(/tolerance_mm/);
    const fewer = { C: { '2DBox_CT_c1': EXAMPLE1.C!['2DBox_CT_c1']! } };
    expect(() => rankInputFromRuns([fakeRun('/r/a', half(['A', 'B'])), fakeRun('/r/b', fewer)])).toThrow(/case sets differ: 3 case\(s\) only in \/r\/a/);
    const input = rankInputFromRuns([fakeRun('/r/a', half(['A', 'B'])), fakeRun('/r/b', fewer)], true);
    expect(input.warnings.length).toBe(1);
    // C is missing on c2..c4: worst rank there
    expect(computeRanking(input, { resamples: 0 }).scopes[0]!.caseRanks.dsc[2]).toEqual([3, 3, 3, 3]);
  });
});

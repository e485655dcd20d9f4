/**
 * The gate decision on results folders written with RunStore (values from real measurements, see helpers.ts):
 * baseline round trip, identical run, accuracy regression in one modality, slowdown vs noise, too few cases,
 * missing / failed cases, metric-mode mismatch, the time reference.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBaseline, GateDataError, readBaseline, writeBaseline } from '../../src/gate/baseline.js';
import { compareRun } from '../../src/gate/compare.js';
import { renderMarkdown } from '../../src/gate/markdown.js';
import { readRun, type CaseRow } from '../../src/results/store.js';
import { baseRows, mapRows, prng, runMeta, tempDir, writeRun } from './helpers.js';

function run(rows: CaseRow[], id: string, over = {}) {
  return readRun(writeRun(path.join(tempDir(), id), rows, runMeta(id, over)));
}
function baselineOf(rows: CaseRow[], opts = {}) {
  return buildBaseline(run(rows, 'base'), { now: '2026-11-29T21:10:00.000Z', ...opts });
}

describe('baseline files', () => {
  it('round-trips through JSON with the schema, NaN as null, relative time = time / reference time', () => {
    const rows = baseRows(0);
    const b = baselineOf(rows);
    const file = path.join(tempDir(), 'sub', 'b.json');
    writeBaseline(file, b);
    const back = readBaseline(file);
    expect(back).toEqual(b);
    expect(back.time_reference).toBe('oracle');
    expect(back.metrics).toEqual({ mode: 'official', tolerance_mm: 2, spacing_order: 'as-stored' });
    const int8 = rows.find((r) => r.variant === 'aug-int8' && r.case === '3DBox_CT_0001')!;
    const ora = rows.find((r) => r.variant === 'oracle' && r.case === '3DBox_CT_0001')!;
    expect(back.variants['aug-int8']!.cases['3DBox_CT_0001']!.rel_time).toBe(int8.time_s / ora.time_s);
    expect(back.variants.oracle!.cases['3DBox_CT_0001']!.rel_time).toBe(1);
    // an official NaN DSC is stored as null
    const nanRow = rows.find((r) => Number.isNaN(r.dsc))!;
    expect(back.variants[nanRow.variant]!.cases[nanRow.case]!.dsc).toBeNull();
    expect(JSON.parse(readFileSync(file, 'utf8')).format).toBe('medseg-bench-baseline');
  });

  it('per-modality means and the Average agree with numpy (nanmean per modality, mean of modality means)', () => {
    const rows = baseRows(0);
    const b = baselineOf(rows);
    const data = rows.filter((r) => r.variant === 'aug-int8').map((r) => [r.modality, Number.isNaN(r.dsc) ? null : r.dsc, r.nsd]);
    const ref = JSON.parse(
      execFileSync('python3', ['-c', `
import json, sys, numpy as np
rows = json.load(sys.stdin)
mods = sorted(set(r[0] for r in rows))
out = {}
for m in mods:
    d = np.array([np.nan if r[1] is None else r[1] for r in rows if r[0] == m], dtype=float)
    n = np.array([r[2] for r in rows if r[0] == m], dtype=float)
    out[m] = [float(np.nanmean(d)) if np.any(~np.isnan(d)) else None, float(np.nanmean(n))]
dm = [v[0] for v in out.values() if v[0] is not None]
out['Average'] = [float(np.mean(dm)), float(np.mean([v[1] for v in out.values()]))]
print(json.dumps(out))`], { input: JSON.stringify(data), encoding: 'utf8' }),
    ) as Record<string, [number | null, number]>;
    const v = b.variants['aug-int8']!;
    expect(Object.keys(v.modalities).sort()).toEqual(Object.keys(ref).filter((k) => k !== 'Average').sort());
    for (const [m, [d, n]] of Object.entries(ref)) {
      const cell = m === 'Average' ? v.average : v.modalities[m]!;
      if (d === null) expect(cell.dsc.mean).toBeNull();
      else expect(cell.dsc.mean).toBeCloseTo(d, 12);
      expect(cell.nsd.mean).toBeCloseTo(n, 12);
    }
  });

  it('rejects a malformed baseline naming the file and the key', () => {
    const b = baselineOf(baseRows(0)) as unknown as { variants: Record<string, { cases: Record<string, { dsc: unknown }> }> };
    b.variants.oracle!.cases['2DBox_US_0001']!.dsc = 'high';
    const file = path.join(tempDir(), 'bad.json');
    writeBaseline(file, b as never);
    expect(() => readBaseline(file)).toThrow(GateDataError);
    expect(() => readBaseline(file)).toThrow(/bad\.json.*\n.*variants\.oracle\.cases\.2DBox_US_0001\.dsc/);
  });

  it('refuses a time reference that is not a variant of the run', () => {
    expect(() => baselineOf(baseRows(0), { timeReference: 'nope' })).toThrow(/--time-reference "nope" is not a variant/);
  });
});

describe('compareRun', () => {
  const base = baselineOf(baseRows(0));

  it('passes an identical run (zero deltas, time ratios exactly 1)', () => {
    const v = compareRun(run(baseRows(0), 'same'), base);
    expect(v.verdict).toBe('pass');
    expect(v.exit_code).toBe(0);
    expect(v.failures).toEqual([]);
    const int8 = v.variants.find((x) => x.variant === 'aug-int8')!;
    for (const m of int8.modalities) expect([m.dsc.delta === 0 || Number.isNaN(m.dsc.delta), m.nsd.delta]).toEqual([true, 0]);
    expect(int8.time).toMatchObject({ basis: 'relative', n: 31, median: 1, lower: 1, upper: 1, status: 'ok' });
    expect(int8.worst).toEqual([]);
  });

  it('passes a rerun with the real run-to-run timing noise of the machine (second timed run of every case)', () => {
    const v = compareRun(run(baseRows(1), 'rerun'), base);
    expect(v.failures).toEqual([]);
    expect(v.variants.find((x) => x.variant === 'aug-int8')!.time.status).toBe('ok');
  });

  it('fails on a DSC drop in one modality, naming the variant and that modality, listing its cases as worst', () => {
    // aug-int8 loses 0.03 DSC on each US case (3 cases; a DSC stays >= 0, results folders refuse negative DSC):
    // the US mean drops by `drop`, the Average by drop/9
    const isUs = (r: CaseRow) => r.variant === 'aug-int8' && r.modality === 'US';
    const rows = mapRows(baseRows(0), isUs, (r) => ({ dsc: Math.max(0, r.dsc - 0.03) }));
    const us = (rs: CaseRow[]) => rs.filter(isUs).reduce((a, r) => a + r.dsc, 0) / 3;
    const drop = us(rows) - us(baseRows(0));
    expect(drop).toBeLessThan(-0.015);
    const v = compareRun(run(rows, 'dsc-drop'), base);
    expect(v.verdict).toBe('fail');
    const acc = v.failures.filter((f) => f.kind === 'accuracy');
    expect(acc.map((f) => [f.variant, f.modality, f.metric])).toEqual([['aug-int8', 'US', 'dsc']]);
    expect(acc[0]!.delta).toBeCloseTo(drop, 12);
    expect(acc[0]!.message).toMatch(/^aug-int8: DSC on US dropped .* \(-0\.0\d{3}, allowed -0\.005\)$/);
    const int8 = v.variants.find((x) => x.variant === 'aug-int8')!;
    const lowered = baseRows(0).filter((r) => isUs(r) && r.dsc > 0).map((r) => r.case).sort();
    expect(lowered.length).toBeGreaterThanOrEqual(2);
    expect(int8.worst.map((c) => c.case).filter((c) => c.startsWith('2DBox_US')).sort()).toEqual(lowered);
    expect(v.failures.some((f) => f.variant === 'oracle')).toBe(false);
    // the same drop spread over all 9 modalities' Average only: Average drop 0.03/9 = 0.0033 < 0.005 passes
    expect(int8.average.dsc.delta).toBeCloseTo(drop / 9, 12);
    expect(int8.average.dsc.regression).toBe(false);
    expect(renderMarkdown(v)).toMatch(/❌ FAIL[\s\S]*aug-int8: DSC on US dropped/);
  });

  it('fails on the Average when many modalities drop a little, and on NSD separately', () => {
    const rows = mapRows(baseRows(0), (r) => r.variant === 'oracle', (r) => ({ dsc: Math.max(0, r.dsc - 0.004), nsd: Math.max(0, r.nsd - 0.009) }));
    const v = compareRun(run(rows, 'avg-drop'), base);
    const acc = v.failures.filter((f) => f.kind === 'accuracy');
    expect(acc.filter((f) => f.metric === 'dsc')).toEqual([]); // 0.004 < 0.005 everywhere
    expect(acc.filter((f) => f.metric === 'nsd').map((f) => f.modality)).toContain('Average');
    expect(compareRun(run(rows, 'avg-drop2'), base, { maxNsdDrop: 0.01 }).verdict).toBe('pass');
  });

  it('fails a 1.5x slowdown of one variant on time, but passes seeded +-10% per-case noise (20 seeds each)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = prng(seed);
      const noise = (r: CaseRow) => ({ time_s: r.time_s * (0.9 + 0.2 * rnd()) });
      const noisy = mapRows(baseRows(0), () => true, noise);
      const vNoise = compareRun(run(noisy, `noise-${seed}`), base);
      expect(vNoise.failures, `seed ${seed}`).toEqual([]);
      const slow = mapRows(noisy, (r) => r.variant === 'aug-int8', (r) => ({ time_s: r.time_s * 1.5 }));
      const vSlow = compareRun(run(slow, `slow-${seed}`), base);
      expect(vSlow.failures.map((f) => [f.kind, f.variant]), `seed ${seed}`).toEqual([['time', 'aug-int8']]);
      const t = vSlow.variants.find((x) => x.variant === 'aug-int8')!.time;
      expect(t.status).toBe('slower');
      expect(t.lower).toBeGreaterThan(1.1);
    }
  });

  it('on a demo-sized set (one 2D case per modality, n = 7) noise that flips single cases does not flip the verdict', () => {
    const demo = (r: CaseRow) => r.dim === 2 && r.case.endsWith('_0001');
    const b = baselineOf(baseRows(0).filter(demo));
    let singleCaseFlips = 0;
    let mildMedianAboveButPassed = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = prng(1000 + seed);
      const noisy = mapRows(baseRows(0).filter(demo), () => true, (r) => ({ time_s: r.time_s * (0.9 + 0.2 * rnd()) }));
      const vNoise = compareRun(run(noisy, `demo-noise-${seed}`), b);
      const t = vNoise.variants.find((x) => x.variant === 'aug-int8')!;
      expect(t.time.n).toBe(7);
      expect(vNoise.failures, `seed ${seed}`).toEqual([]);
      singleCaseFlips += t.cases.filter((c) => c.time_ratio > 1.1).length;
      // a mild 1.15x slowdown: with n = 7 the 95% interval is [min, max] of the ratios, so the gate fails exactly when
      // every case is above 1.10; a median above 1.10 alone is not enough support
      const mild = mapRows(noisy, (r) => r.variant === 'aug-int8', (r) => ({ time_s: r.time_s * 1.15 }));
      const vMild = compareRun(run(mild, `demo-mild-${seed}`), b);
      const mt = vMild.variants.find((x) => x.variant === 'aug-int8')!;
      const allAbove = mt.cases.every((c) => c.time_ratio > 1.1);
      expect(vMild.failures.length > 0, `seed ${seed}`).toBe(allAbove);
      if (!allAbove && mt.time.median > 1.1) mildMedianAboveButPassed++;
      // 1.5x is a real slowdown: every paired ratio is >= 1.5 * 0.9 / 1.1 = 1.23
      const slow = mapRows(noisy, (r) => r.variant === 'aug-int8', (r) => ({ time_s: r.time_s * 1.5 }));
      expect(compareRun(run(slow, `demo-slow-${seed}`), b).failures.map((f) => [f.kind, f.variant]), `seed ${seed}`).toEqual([['time', 'aug-int8']]);
    }
    // the noise does push single cases over the factor: a per-case rule would have failed
    expect(singleCaseFlips).toBeGreaterThan(5);
    // and a median-above-the-factor rule would have failed runs that the interval rule passes
    expect(mildMedianAboveButPassed).toBeGreaterThan(3);
  });

  it('a uniform slowdown of the whole machine (every variant 2x) cancels in relative time', () => {
    const rows = mapRows(baseRows(0), () => true, (r) => ({ time_s: r.time_s * 2 }));
    expect(compareRun(run(rows, 'slow-machine'), base).failures).toEqual([]);
  });

  it('with too few cases says so and does not fail on time', () => {
    const few = (r: CaseRow) => r.modality === 'Dermoscopy'; // 6 cases -> 5 kept
    const b = baselineOf(baseRows(0).filter((r) => few(r) && r.case !== '2DBox_Dermoscopy_0103'));
    const slow = mapRows(baseRows(0).filter((r) => few(r) && r.case !== '2DBox_Dermoscopy_0103'), (r) => r.variant === 'aug-int8', (r) => ({ time_s: r.time_s * 1.5 }));
    const v = compareRun(run(slow, 'few'), b);
    expect(v.failures).toEqual([]);
    const t = v.variants.find((x) => x.variant === 'aug-int8')!.time;
    expect(t.status).toBe('insufficient');
    expect(t.note).toMatch(/only 5 paired case\(s\).*needs at least 6; time not judged/);
    expect(renderMarkdown(v)).toMatch(/not judged \(only 5 paired/);
    // with 6 cases the same slowdown is judged and fails
    const six = mapRows(baseRows(0).filter(few), (r) => r.variant === 'aug-int8', (r) => ({ time_s: r.time_s * 1.5 }));
    expect(compareRun(run(six, 'six'), baselineOf(baseRows(0).filter(few))).failures.map((f) => f.kind)).toEqual(['time']);
  });

  it('fails on a missing case unless --allow-missing (then the case is left out of both sides)', () => {
    const rows = baseRows(0).filter((r) => !(r.variant === 'aug-int8' && r.case === '2DBox_US_0002'));
    const v = compareRun(run(rows, 'missing'), base);
    expect(v.failures.map((f) => [f.kind, f.variant, f.cases])).toEqual([['missing', 'aug-int8', ['2DBox_US_0002']]]);
    const ok = compareRun(run(rows, 'missing2'), base, { allowMissing: true });
    expect(ok.verdict).toBe('pass');
    expect(ok.notes.join('\n')).toMatch(/aug-int8: 1 case\(s\) missing \(allowed by --allow-missing/);
    const us = ok.variants.find((x) => x.variant === 'aug-int8')!.modalities.find((m) => m.modality === 'US')!;
    expect([us.n, us.dsc.delta, us.nsd.delta]).toEqual([2, 0, 0]);
  });

  it('fails when a whole variant is missing', () => {
    const v = compareRun(run(baseRows(0).filter((r) => r.variant === 'oracle'), 'no-int8'), base);
    expect(v.failures[0]!.message).toMatch(/variant "aug-int8" is missing from the run \(31 cases\)/);
  });

  it('fails on a failed case unless --allow-failures', () => {
    const rows = mapRows(baseRows(0), (r) => r.variant === 'aug-int8' && r.case === '2DBox_X-Ray_0001', () => ({
      status: 'failed', dsc: 0, nsd: 0, time_s: NaN, error: 'decoder: out of memory',
    }));
    const v = compareRun(run(rows, 'failed'), base);
    expect(v.failures.filter((f) => f.kind === 'failed').map((f) => f.message)).toEqual([
      'aug-int8: 1 case(s) failed (counted DSC 0 / NSD 0): 2DBox_X-Ray_0001 (decoder: out of memory)',
    ]);
    const ok = compareRun(run(rows, 'failed2'), base, { allowFailures: true });
    expect(ok.failures).toEqual([]);
    expect(ok.notes.join('\n')).toMatch(/1 failed case\(s\) \(allowed by --allow-failures/);
  });

  it('refuses a run with another metric mode or spacing convention (GateDataError) unless allowed', () => {
    const strict = () => run(baseRows(0), 'strict', { metrics: { mode: 'strict', tolerance_mm: 2, spacing_order: 'as-stored' } });
    expect(() => compareRun(strict(), base)).toThrow(GateDataError);
    expect(() => compareRun(strict(), base)).toThrow(/metric mode official \(baseline\) vs strict \(run\)/);
    const xyz = run(baseRows(0), 'xyz', { metrics: { mode: 'official', tolerance_mm: 2, spacing_order: 'xyz' } });
    expect(() => compareRun(xyz, base)).toThrow(/spacing convention as-stored \(baseline\) vs xyz \(run\)/);
    const v = compareRun(strict(), base, { allowMetricMismatch: true });
    expect(v.notes[0]).toMatch(/metric settings differ/);
  });

  it('skips the time reference with a note, or judges its absolute time when asked', () => {
    const slowRef = mapRows(baseRows(0), (r) => r.variant === 'oracle', (r) => ({ time_s: r.time_s * 1.5 }));
    const v = compareRun(run(slowRef, 'slow-ref'), base);
    const ora = v.variants.find((x) => x.variant === 'oracle')!;
    expect(ora.time.status).toBe('skipped');
    expect(ora.time.note).toMatch(/--reference-absolute-time/);
    // the other variant now looks faster relative to the slower reference: reported, not a failure
    expect(v.variants.find((x) => x.variant === 'aug-int8')!.time.status).toBe('faster');
    expect(v.failures).toEqual([]);
    const abs = compareRun(run(slowRef, 'slow-ref2'), base, { referenceAbsoluteTime: true });
    expect(abs.failures.map((f) => [f.kind, f.variant])).toEqual([['time', 'oracle']]);
    expect(abs.variants.find((x) => x.variant === 'oracle')!.time.basis).toBe('absolute');
    // another reference chosen at gate time: the baseline's relative times are recomputed from absolute times
    const other = compareRun(run(slowRef, 'slow-ref3'), base, { timeReference: 'aug-int8' });
    expect(other.failures.map((f) => [f.kind, f.variant])).toEqual([['time', 'oracle']]);
  });

  it('notes a variant that is not in the baseline and does not gate it', () => {
    const extra = [...baseRows(0), ...mapRows(baseRows(0).filter((r) => r.variant === 'oracle'), () => true, () => ({ variant: 'new-v', dsc: 0 }))];
    const v = compareRun(run(extra, 'extra'), base);
    expect(v.verdict).toBe('pass');
    expect(v.notes.join('\n')).toMatch(/variant "new-v" is not in the baseline/);
  });
});

describe('NaN semantics (official: a case DSC is NaN when a label is empty in gt and seg)', () => {
  it('a modality whose only valid value turns NaN fails; a NaN that becomes a number is only noted', () => {
    // X-Ray of aug-int8: make every case NaN in the current run
    const base = baselineOf(baseRows(0));
    const rows = mapRows(baseRows(0), (r) => r.variant === 'aug-int8' && r.modality === 'X-Ray', () => ({ dsc: NaN }));
    const v = compareRun(run(rows, 'nan-now'), base);
    const f = v.failures.filter((x) => x.kind === 'accuracy' && x.modality === 'X-Ray');
    expect(f.map((x) => x.message)).toEqual([expect.stringMatching(/^aug-int8: DSC on X-Ray has no valid value any more \(baseline 0\.\d{4}\)$/)]);
    // the other way round: a baseline where X-Ray was all NaN, and numbers now
    const base2 = baselineOf(rows);
    const v2 = compareRun(run(baseRows(0), 'nan-before'), base2);
    expect(v2.failures.filter((x) => x.modality === 'X-Ray')).toEqual([]);
    expect(v2.notes.join('\n')).toMatch(/aug-int8: DSC on X-Ray was n\/a in the baseline and is 0\.\d{4} now/);
  });
});

describe('--time-metric cpu and contention notes', () => {
  // CPU seconds of the work: here 0.9 x the wall time of each case (a quiet machine)
  const withCpu = (rows: CaseRow[]) => rows.map((r) => ({ ...r, cpu_s: r.time_s * 0.9, other_cpu_share: 0.02, load_start: 0.1, load_end: 0.1 }));
  it('a run whose wall times doubled under load but whose CPU seconds did not: fails on wall, passes on cpu', () => {
    const base = withCpu(baseRows(0));
    const b = baselineOf(base);
    expect(b.variants['aug-int8']!.cases['3DBox_CT_0001']!.cpu_s).toBeCloseTo(base.find((r) => r.variant === 'aug-int8' && r.case === '3DBox_CT_0001')!.time_s * 0.9, 12);
    // load hit the model variant (wall x2), not its CPU work
    const loaded = mapRows(base, (r) => r.variant === 'aug-int8', (r) => ({ time_s: r.time_s * 2, other_cpu_share: 0.5 }));
    const cur = run(loaded, 'loaded');
    expect(compareRun(cur, b).failures.map((f) => f.kind)).toContain('time');
    const v = compareRun(cur, b, { timeMetric: 'cpu' });
    expect(v.failures).toEqual([]);
    expect(v.notes).toContain('time metric: CPU seconds of the work (cpu_s), not wall seconds (--time-metric cpu)');
    // a real CPU slowdown is still caught on cpu
    const slower = run(mapRows(base, (r) => r.variant === 'aug-int8', (r) => ({ cpu_s: r.cpu_s * 1.5 })), 'cpu-slower');
    expect(compareRun(slower, b, { timeMetric: 'cpu' }).failures.map((f) => f.kind)).toContain('time');
  });
  it('cases flagged "timed under contention" are counted in the notes', () => {
    const dir = writeRun(path.join(tempDir(), 'contended'), withCpu(baseRows(0)), runMeta('contended'));
    const w = { variant: 'aug-int8', case: '3DBox_CT_0001', warning: { kind: 'contention' as const, other_cpu_share: 0.48, threshold: 0.25, load_start: 3.1, load_end: 4.2 } };
    writeFileSync(path.join(dir, 'warnings.jsonl'), `${JSON.stringify(w)}\n`);
    const v = compareRun(readRun(dir), baselineOf(withCpu(baseRows(0))));
    expect(v.notes.join('\n')).toMatch(/timed under contention \(other processes used more than 25% of the machine's CPU during the case\): aug-int8 1 case\(s\); .*--time-metric cpu/);
  });
});

/** The ETA of bench run (src/run/eta.ts) and the progress line (src/cli/progress.ts). */
import { describe, expect, it } from 'vitest';
import { caseWork, EtaEstimator, type PlannedCase } from '../../src/run/eta.js';
import { formatDuration, progressLine, shorten } from '../../src/cli/progress.js';

describe('caseWork', () => {
  it('2D: one encoder call, one decoder call per box', () => {
    expect(caseWork(2, [512, 512, 3], [[1, 1, 5, 5], [2, 2, 9, 9]])).toEqual({ encoderCalls: 1, decoderCalls: 2, units: 1.1 });
  });
  it('3D: decoder calls per box and slice of its z range (clamped), encoder calls per covered slice', () => {
    const boxes = [[0, 0, 2, 5, 5, 6], [0, 0, 5, 5, 5, 12]]; // z 2..6 (5 slices) and 5..9 (clamped to D=10: 5 slices)
    expect(caseWork(3, [10, 20, 20], boxes)).toMatchObject({ encoderCalls: 8, decoderCalls: 10 });
    expect(caseWork(3, [10, 20, 20], boxes, false)).toMatchObject({ encoderCalls: 10, decoderCalls: 10 });
  });
});

describe('EtaEstimator', () => {
  // a fake clock: the test moves time
  let t = 0;
  const clock = () => t;
  const plan: PlannedCase[] = [
    { variant: 'a', case: '2D_1', units: 1 }, { variant: 'b', case: '2D_1', units: 1 },
    { variant: 'a', case: '2D_2', units: 1 }, { variant: 'b', case: '2D_2', units: 1 },
    { variant: 'a', case: '3D_1', units: 60 }, { variant: 'b', case: '3D_1', units: 60 },
  ];
  it('unknown before the first case; then scales by work, not by the count of cases', () => {
    t = 0;
    const e = new EtaEstimator(plan, clock);
    expect(e.remaining()).toBeNull();
    e.start('a', '2D_1');
    t = 1;
    e.finish('a', '2D_1', 1); // a: 1 s per unit
    e.start('b', '2D_1');
    t = 3;
    e.finish('b', '2D_1', 2); // b: 2 s per unit
    // left: a 2D_2 (1) + b 2D_2 (paired with a: 1 x 2/1 = 2) + a 3D (60) + b 3D (120) = 183 s, not 4 cases x 1.5 s
    expect(e.remaining()).toBeCloseTo(1 + 2 + 60 + 120, 6);
  });
  it('counts down while a long case runs, never reaching 0 while it overruns; paired with the other variant', () => {
    t = 0;
    const e = new EtaEstimator(plan, clock);
    for (const [v, c, s] of [['a', '2D_1', 1], ['b', '2D_1', 1], ['a', '2D_2', 1], ['b', '2D_2', 1]] as const) {
      e.start(v, c);
      t += s;
      e.finish(v, c, s);
    }
    e.start('a', '3D_1');
    expect(e.remaining()).toBeCloseTo(120, 6);
    t += 30;
    expect(e.remaining()).toBeCloseTo(90, 6);
    expect(e.currentCase()).toEqual({ elapsed: 30, estimate: 60 });
    t += 60; // overran its estimate of 60 s by 30 s
    expect(e.remaining()).toBeCloseTo(90 * 0.25 + 60, 6);
    t += 10;
    e.finish('a', '3D_1', 100);
    // b on the same case: a's 100 s times b/a on the cases both finished (1), not the unit model's 60 s
    e.start('b', '3D_1');
    expect(e.remaining()).toBeCloseTo(100, 6);
  });
});

describe('progress line', () => {
  const base = { done: 12, total: 45, variant: 'noaug-int8', caseName: '3DBox_CT_0001_with_a_long_name', caseElapsed: 72, caseEstimate: 375, elapsed: 3723, eta: 371 };
  it('fits 80 columns by shortening the case name, never the times', () => {
    const l = progressLine(base, 80);
    expect(l.length).toBeLessThan(80);
    expect(l).toMatch(/ {2}case 1m12s\/~6m15s {2}elapsed 1h02m {2}ETA ~6m11s$/);
    expect(l).toMatch(/12\/45 noaug-int8 3DBox.*\u2026.*name/);
  });
  it('a wide terminal gets the bar and the whole name', () => {
    const l = progressLine(base, 200);
    expect(l).toMatch(/^\[#####-+\] 12\/45 noaug-int8 3DBox_CT_0001_with_a_long_name {2}case/);
  });
  it('durations and names', () => {
    expect([formatDuration(42.4), formatDuration(370), formatDuration(3723), formatDuration(null)]).toEqual(['42s', '6m10s', '1h02m', '?']);
    expect(shorten('3DBox_CT_0001', 9)).toBe('3DBo\u20260001');
    expect(shorten('short', 9)).toBe('short');
  });
});

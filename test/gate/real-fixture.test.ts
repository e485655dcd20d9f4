/**
 * The gate on checked-in REAL results folders (test/gate/fixtures/real-demo2d, see its README): oracle and the real
 * aug-int8 model on the 2D demo cases, a rerun under heavy machine load, and a run whose Microscope boxes were shrunk
 * by 3 px.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBaseline } from '../../src/gate/baseline.js';
import { compareRun } from '../../src/gate/compare.js';
import { renderMarkdown } from '../../src/gate/markdown.js';
import { readRun } from '../../src/results/store.js';

const FIX = path.join(import.meta.dirname, 'fixtures', 'real-demo2d');
const a1 = readRun(path.join(FIX, 'a1'));
const a2 = readRun(path.join(FIX, 'a2'));
const shrunk = readRun(path.join(FIX, 'shrunk'));
const baseline = buildBaseline(a1, { timeReference: 'oracle', now: '2026-11-29T21:40:00.000Z' });

describe('gate on real bench run folders', () => {
  it('the real rerun passes: identical accuracy, per-case time ratios from 0.3 to 3.1 do not flip the verdict', () => {
    const v = compareRun(a2, baseline);
    expect(v.verdict).toBe('pass');
    expect(v.failures).toEqual([]);
    const t = v.variants.find((x) => x.variant === 'aug-int8')!;
    for (const m of [...t.modalities, t.average]) expect([m.dsc.delta, m.nsd.delta]).toEqual([0, 0]);
    // the noise is real and large: single cases move far beyond the 1.10 factor both ways
    const ratios = t.cases.map((c) => c.time_ratio);
    expect(ratios.length).toBe(7);
    expect(Math.max(...ratios)).toBeGreaterThan(1.5);
    expect(Math.min(...ratios)).toBeLessThan(0.5);
    expect(t.time.status).toBe('ok');
  });

  it('boxes shrunk by 3 px on the Microscope case fail on DSC (and NSD) naming Microscope for both variants', () => {
    const v = compareRun(shrunk, baseline);
    expect(v.verdict).toBe('fail');
    const acc = v.failures.filter((f) => f.kind === 'accuracy');
    expect(acc.filter((f) => f.modality !== 'Average').map((f) => [f.variant, f.modality, f.metric])).toEqual([
      ['oracle', 'Microscope', 'dsc'],
      ['oracle', 'Microscope', 'nsd'],
      ['aug-int8', 'Microscope', 'dsc'],
    ]);
    const dscOracle = acc.find((f) => f.variant === 'oracle' && f.metric === 'dsc' && f.modality === 'Microscope')!;
    const caseDsc = (run: typeof a1, variant: string) => run.cases.find((r) => r.variant === variant && r.case === '2DBox_Microscope_0003')!.dsc;
    expect(dscOracle.delta).toBe(caseDsc(shrunk, 'oracle') - caseDsc(a1, 'oracle'));
    for (const x of v.variants) {
      for (const m of x.modalities.filter((m) => m.modality !== 'Microscope')) expect([m.dsc.delta, m.nsd.delta]).toEqual([0, 0]);
      expect(x.worst.map((c) => c.case)).toEqual(['2DBox_Microscope_0003']);
    }
    const md = renderMarkdown(v);
    expect(md).toMatch(/- oracle: DSC on Microscope dropped 0\.3052 -> 0\.1107 \(-0\.1945, allowed -0\.005\)/);
  });
});

/**
 * countLabels' word paths (uint8: 4 voxels per 32-bit word, uint16: 2) against its voxel-by-voxel path (the same
 * values as an Int32Array): counts, intersections, bounding boxes and row runs must be identical, on random label
 * volumes with long uniform runs (equal and different in gt and seg), zero stretches, odd row lengths and labels
 * above K.
 */
import { describe, expect, it } from 'vitest';
import { prng } from '../prng.js';
import { countLabels, type LabelCounts } from '../../src/metrics/labels.js';


/** A volume of runs: each run a random length (1..40) of 0 or a label in 1..maxLabel; seg copies gt runs or differs. */
function volume(n: number, maxLabel: number, seed: number): { gt: number[]; seg: number[] } {
  const r = prng(seed);
  const gt: number[] = [];
  const seg: number[] = [];
  while (gt.length < n) {
    const len = 1 + Math.floor(r() * 40);
    const g = r() < 0.5 ? 0 : 1 + Math.floor(r() * maxLabel);
    const p = r();
    const s = p < 0.6 ? g : p < 0.8 ? 0 : 1 + Math.floor(r() * maxLabel);
    for (let k = 0; k < len && gt.length < n; k++) {
      gt.push(g);
      seg.push(r() < 0.05 ? 0 : s);
    }
  }
  return { gt, seg };
}

function summary(c: LabelCounts): unknown {
  const boxes = [];
  for (let L = 1; L <= c.K; L++) boxes.push(c.bbox(L));
  return { gt: [...c.gt], seg: [...c.seg], inter: [...c.inter], boxes, gtRuns: c.gtRuns, segRuns: c.segRuns };
}

describe('countLabels: word paths equal the voxel path', () => {
  for (const [name, Ctor, maxLabel, K] of [
    ['uint8', Uint8Array, 255, 254],
    ['uint8, labels above K', Uint8Array, 12, 7],
    ['uint16', Uint16Array, 700, 700],
    ['uint16, labels above K', Uint16Array, 40, 30],
  ] as const) {
    for (const shape of [
      [3, 5, 64],
      [2, 7, 36],
      [1, 9, 30],
      [4, 3, 33],
    ] as [number, number, number][]) {
      it(`${name}, shape ${shape.join('x')}`, () => {
        const n = shape[0] * shape[1] * shape[2];
        const { gt, seg } = volume(n, maxLabel, n * 31 + K);
        const fast = countLabels(Ctor.from(gt), Ctor.from(seg), shape, K);
        const slow = countLabels(Int32Array.from(gt), Int32Array.from(seg), shape, K);
        expect(summary(fast)).toEqual(summary(slow));
        expect(fast.gt.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      });
    }
  }
});

describe('countLabels: counts without runs (beyond maxRuns) equal the counts from runs', () => {
  for (const [name, Ctor] of [
    ['uint8', Uint8Array],
    ['int32', Int32Array],
  ] as const) {
    it(`${name}: voxel-by-voxel counts, intersections and bounding boxes; no runs returned`, () => {
      const shape: [number, number, number] = [4, 6, 36];
      const n = shape[0] * shape[1] * shape[2];
      const { gt, seg } = volume(n, 9, 77);
      const withRuns = countLabels(Ctor.from(gt), Ctor.from(seg), shape, 7);
      const without = countLabels(Ctor.from(gt), Ctor.from(seg), shape, 7, { maxRuns: 5 });
      expect(withRuns.gtRuns).not.toBeNull();
      expect(without.gtRuns).toBeNull();
      expect(without.segRuns).toBeNull();
      const counts = (c: LabelCounts): unknown => ({ ...(summary(c) as object), gtRuns: null, segRuns: null });
      expect(counts(without)).toEqual(counts(withRuns));
      // and against a direct count of the definition
      for (let L = 1; L <= 7; L++) {
        let g = 0, s = 0, i = 0;
        for (let v = 0; v < n; v++) {
          if (gt[v] === L) g++;
          if (seg[v] === L) s++;
          if (gt[v] === L && seg[v] === L) i++;
        }
        expect([without.gt[L], without.seg[L], without.inter[L]]).toEqual([g, s, i]);
      }
    });
  }
});

describe('countLabels: 2D cases (rows of one voxel)', () => {
  it('uint16 (H, W, 1): one run per non-zero pixel, counts equal the voxel-by-voxel counts', () => {
    const shape: [number, number, number] = [40, 30, 1];
    const n = shape[0] * shape[1];
    const { gt, seg } = volume(n, 12, 5);
    const c = countLabels(Uint16Array.from(gt), Uint16Array.from(seg), shape, 10);
    const voxelwise = countLabels(Uint16Array.from(gt), Uint16Array.from(seg), shape, 10, { maxRuns: 0 });
    const counts = (x: LabelCounts): unknown => ({ ...(summary(x) as object), gtRuns: null, segRuns: null });
    expect(counts(c)).toEqual(counts(voxelwise));
    const runs = c.gtRuns!;
    for (let r = 0; r < n; r++) {
      const t = runs.rowFirst[r]!;
      expect(runs.rowFirst[r + 1]! - t).toBe(gt[r] === 0 ? 0 : 1);
      if (gt[r] !== 0) expect([runs.start[t], runs.end[t], runs.label[t]]).toEqual([0, 1, gt[r]]);
    }
  });
});

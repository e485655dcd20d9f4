/**
 * A large 3D case streamed into row runs (src/metrics/stream.ts) scores exactly as its arrays do: every per-label
 * figure, official and strict, for each dtype pair the stream takes (and the 200x512x512 golden case against its
 * golden values); what cannot be streamed is declined (null) so that the array read reports it; and a one-case folder
 * whose case is large (streamed by the pool) gives the arrays' result.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNpz } from '../../src/io/npz.js';
import { computeCaseMetrics } from '../../src/metrics/case.js';
import { readCaseFiles, scoreCaseFiles, type ScoreOptions } from '../../src/metrics/score.js';
import { streamCaseFiles } from '../../src/metrics/stream.js';
import { WARM_UP_MIN_BYTES } from '../../src/metrics/warmup.js';
import { TYPED_ARRAY_OF } from '../../src/io/ndarray.js';
import type { DType, NdArray } from '../../src/types.js';
import { prng } from '../prng.js';
import { GOLDEN_DIR, HAVE_SHARED, loadGolden, num } from './golden-helpers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'metrics-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Ellipsoid labels (1..nLabels, bool: 1) with seeded noise on their borders, shape (n0, n1, n2); `shift` moves the
 * centres (a prediction that overlaps the truth without equalling it). Label ids are spread (e.g. 3, 70, 300) for
 * 16-bit dtypes.
 */
function volume(dtype: DType, shape: [number, number, number], nLabels: number, shift: number, seed: number, noise = 0.3): NdArray {
  const [n0, n1, n2] = shape;
  const data = new TYPED_ARRAY_OF[dtype](n0 * n1 * n2);
  const rnd = prng(seed);
  const signed = dtype === 'int8' || dtype === 'int16';
  const ids = dtype === 'bool' ? [1] : dtype.endsWith('16') ? [3, 70, 300, 4000, 9, 12, 500] : [1, 2, 3, 4, 5, 6, 7];
  for (let L = 0; L < Math.min(nLabels, ids.length); L++) {
    const c = [0.3 + 0.4 * rnd() + shift, 0.3 + 0.4 * rnd(), 0.3 + 0.4 * rnd() - shift];
    const r = 0.12 + 0.15 * rnd();
    for (let i = 0; i < n0; i++) {
      for (let j = 0; j < n1; j++) {
        for (let k = 0; k < n2; k++) {
          const d = ((i + 0.5) / n0 - c[0]!) ** 2 + ((j + 0.5) / n1 - c[1]!) ** 2 + ((k + 0.5) / n2 - c[2]!) ** 2;
          if (d < r * r * (1 - noise / 2 + noise * rnd())) data[(i * n1 + j) * n2 + k] = ids[L]!;
          // signed dtypes: some negative labels too (ignored by the scorer, as any value outside 1..K)
          else if (signed && d < r * r * 1.2 && rnd() < 0.05) data[(i * n1 + j) * n2 + k] = -ids[L]!;
        }
      }
    }
  }
  return { dtype, shape: [...shape], data };
}

async function writeCase(name: string, gts: NdArray, segs: NdArray, spacing: number[], compressSegs = true): Promise<{ g: string; s: string }> {
  mkdirSync(join(dir, name, 'gts'), { recursive: true });
  mkdirSync(join(dir, name, 'segs'), { recursive: true });
  const g = join(dir, name, 'gts', `3D_${name}.npz`);
  const s = join(dir, name, 'segs', `3D_${name}.npz`);
  await writeNpz(g, { gts, spacing: { dtype: 'float64', shape: [3], data: Float64Array.from(spacing) } });
  await writeNpz(s, { segs }, { compress: compressSegs });
  return { g, s };
}

/** The case scored from its arrays and streamed as runs: the same result, field by field (NaN equal to NaN). */
async function expectSame(g: string, s: string, opts: ScoreOptions = {}): Promise<void> {
  const arrays = scoreCaseFiles(await readCaseFiles(g, s, 3), opts);
  const files = await streamCaseFiles(g, s);
  expect(files, 'streamed').not.toBeNull();
  const gRes = files!.gRes;
  expect(gRes.status === 'fulfilled' && 'runs' in gRes.value.gts!).toBe(true);
  const streamed = scoreCaseFiles(files!, opts);
  expect(arrays.status).toBe('ok');
  expect([streamed.streamed, arrays.streamed]).toEqual([true, false]);
  const strip = (c: typeof arrays): object => ({ ...c, readS: 0, computeS: 0, streamed: null });
  expect(strip(streamed)).toEqual(strip(arrays));
}

describe('a 3D case streamed into row runs', () => {
  it('every dtype pair the stream takes: the same per-label figures as the arrays, official and strict', async () => {
    const pairs: [DType, DType, [number, number, number]][] = [
      // each holds more than one streamed block (256 kB) in at least one array
      ['uint8', 'uint8', [40, 90, 96]],
      ['uint16', 'uint8', [30, 70, 66]], // rows of 66 uint16: whole words; the segs' 66 bytes are not
      ['int16', 'bool', [36, 80, 45]],
      ['int8', 'uint16', [40, 60, 60]],
      ['bool', 'bool', [24, 100, 121]],
    ];
    for (const [k, [gd, sd, shape]] of pairs.entries()) {
      const { g, s } = await writeCase(`pair${k}`, volume(gd, shape, 5, 0, 100 + k), volume(sd, shape, 5, 0.03, 100 + k), [2.5, 0.8, 0.7]);
      await expectSame(g, s);
      await expectSame(g, s, { mode: 'strict', spacingOrder: 'xyz' });
      await expectSame(g, s, { mode: 'strict', labels: [1, 3, 70, 4000] });
      await expectSame(g, s, { tolerance_mm: 0.5 });
    }
  });

  it('bool arrays whose True bytes are 255 (numpy .view(np.bool_)): read as 1, as the array read does', async () => {
    const shape: [number, number, number] = [30, 90, 100];
    const g = volume('bool', shape, 1, 0, 21);
    const s = volume('bool', shape, 1, 0.02, 21);
    for (const a of [g, s]) for (let i = 0; i < a.data.length; i++) if (a.data[i]) a.data[i] = 255;
    const { g: gp, s: sp } = await writeCase('bool255', g, s, [1.5, 1, 1]);
    await expectSame(gp, sp);
    expect(scoreCaseFiles((await streamCaseFiles(gp, sp))!).dsc).toBeGreaterThan(0.5);
  });

  it('declines what it cannot stream (stored segs, 2D or 32-bit arrays, a missing segs file); the array read reports problems', async () => {
    const shape: [number, number, number] = [8, 20, 24];
    const stored = await writeCase('stored', volume('uint8', shape, 3, 0, 1), volume('uint8', shape, 3, 0.02, 1), [1, 1, 1], false);
    expect(await streamCaseFiles(stored.g, stored.s)).toBeNull();
    const wide = await writeCase('wide', volume('int32', shape, 3, 0, 2), volume('uint8', shape, 3, 0.02, 2), [1, 1, 1]);
    expect(await streamCaseFiles(wide.g, wide.s)).toBeNull();
    const flat: NdArray = { dtype: 'uint8', shape: [20, 24], data: new Uint8Array(480) };
    const flatSegs = await writeCase('flat', volume('uint8', shape, 3, 0, 3), flat, [1, 1, 1]);
    expect(await streamCaseFiles(flatSegs.g, flatSegs.s)).toBeNull();
    expect(scoreCaseFiles(await readCaseFiles(flatSegs.g, flatSegs.s, 3)).error).toMatch(/has shape \(20, 24\); expected the shape of key 'gts'/);
    expect(await streamCaseFiles(stored.g, join(dir, 'absent.npz'))).toBeNull();
  });

  it('computeCaseMetrics refuses runs for one array and values for the other, or runs for a 2D case', () => {
    const a = volume('uint8', [4, 8, 8], 2, 0, 4);
    const runs = { dtype: 'uint8' as DType, shape: [4, 8, 8], runs: { rowFirst: new Int32Array(33), start: new Int32Array(0), end: new Int32Array(0), label: new Int32Array(0) } };
    expect(() => computeCaseMetrics(runs, a, { dim: 3, spacing: [1, 1, 1] })).toThrow(/row runs stand for/);
    expect(() => computeCaseMetrics(runs, runs, { dim: 2 })).toThrow(/row runs stand for/);
    expect(computeCaseMetrics(runs, runs, { dim: 3, spacing: [1, 1, 1] }).labelsEvaluated).toEqual([]);
  });

  it('a one-case folder of a large 3D case (streamed by the pool): the arrays\' result', async () => {
    const shape: [number, number, number] = [96, 160, 192];
    // wide noisy borders: files large enough for the pool to stream the case
    const { g, s } = await writeCase('large', volume('uint8', shape, 6, 0, 9, 1.2), volume('uint8', shape, 6, 0.02, 9, 1.2), [3, 0.75, 0.75]);
    expect(statSync(g).size + statSync(s).size).toBeGreaterThanOrEqual(WARM_UP_MIN_BYTES);
    const dist = (await import(join(ROOT, 'dist', 'metrics', 'index.js'))) as typeof import('../../src/metrics/index.js');
    const [score] = await dist.scoreFolder(join(dir, 'large', 'gts'), join(dir, 'large', 'segs'), { workers: 1 });
    const arrays = scoreCaseFiles(await readCaseFiles(g, s, 3));
    expect(score!.streamed).toBe(true);
    expect(arrays.streamed).toBe(false);
    expect(score!.metrics!.labels.length).toBe(6);
    expect({ ...score!.metrics }).toEqual({ ...arrays.metrics });
  });

  it.skipIf(!HAVE_SHARED)('the 200x512x512 golden case streamed: its golden DSC and NSD, and the arrays\' per-label figures', async () => {
    const name = '3D_large3d_p00.npz';
    const g = join(GOLDEN_DIR, 'gts', name);
    const s = join(GOLDEN_DIR, 'segs', name);
    await expectSame(g, s);
    const score = scoreCaseFiles((await streamCaseFiles(g, s))!);
    const want = loadGolden().cases.find((c: { name: string }) => c.name === name);
    expect(Object.is(score.dsc, num(want.official.dsc))).toBe(true);
    expect(Object.is(score.nsd, num(want.official.nsd))).toBe(true);
  });
});

/**
 * Gts with a NaN or negative spacing (issue 14). NaN: official mode reproduces the official scorer — DSC computed, NSD
 * NaN (NaN surfel areas) when the DSC gate opens, 0 when it does not — and says so in the case warnings; strict mode
 * refuses the case; `bench cases validate` warns (no error) and the `bench run` pre-check refuses it in strict mode
 * only. Negative: the official NSD is neither the NSD of |spacing| nor reproduced (scipy's feature transform with a
 * negative sampling misses the nearest surface), so it is an error in both modes, with that reason. Expected values
 * come from an independent numpy/scipy implementation of the official metric (test/metrics/official_spacing.py) on
 * the real case 3DBox_MR_0002 of ../shared/cases/public with its spacing altered; a valid anisotropic spacing is the
 * control. Before: the NaN case failed in official mode too ("must hold 3 positive finite values"). Also: a tolerance of
 * 0 mm and an extreme spacing [1e300, 3, 3] give the reference's values instead of hanging the surface search.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreCase } from '../../src/metrics/score.js';
import { validateCase } from '../../src/cases/validate.js';
import { caseFacts } from '../../src/run/execute.js';
import { close, GOLDEN_DIR, HAVE_SHARED, SHARED } from './golden-helpers.js';

const CASE = '3DBox_MR_0002';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'medseg-spacing-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let want: Record<string, { dsc: number | null; nsd: number | null }>;
const files = (variant: string, sub: 'imgs' | 'gts' | 'segs') => path.join(tmp, variant, sub, `${CASE}.npz`);

if (!HAVE_SHARED) console.warn('SKIPPED test/metrics/spacing.test.ts: ../shared (real cases, surfel normals) is absent');

describe.skipIf(!HAVE_SHARED)('gts spacing with NaN or negative values', () => {
  beforeAll(() => {
    const out = execFileSync('python3', [
      path.join(import.meta.dirname, 'official_spacing.py'),
      path.join(GOLDEN_DIR, 'surfel_normals.json'),
      path.join(SHARED, 'cases', 'public', 'imgs', `${CASE}.npz`),
      path.join(SHARED, 'cases', 'public', 'gts', `${CASE}.npz`),
      tmp,
    ], { encoding: 'utf8' });
    want = JSON.parse(out);
  }, 120_000);

  it('control: a valid anisotropic spacing gives the reference values (the reference is the official metric)', async () => {
    const s = await scoreCase(files('control', 'gts'), files('control', 'segs'));
    expect(s.status, s.error).toBe('ok');
    expect(close(s.dsc, want.control!.dsc!, 1e-12)).toBe(true);
    expect(close(s.nsd, want.control!.nsd!)).toBe(true);
  });

  it('official mode, NaN spacing: DSC as the official scorer, NSD NaN (gate open), said in the warnings', async () => {
    const s = await scoreCase(files('nan', 'gts'), files('nan', 'segs'));
    expect(s.status, s.error).toBe('ok');
    expect(want.nan!.nsd).toBeNull(); // the reference's NaN
    expect(want.nan!.dsc! > 0.2).toBe(true);
    expect(close(s.dsc, want.nan!.dsc!, 1e-12)).toBe(true);
    expect(s.nsd).toBeNaN();
    expect(s.nsdComputed).toBe(true);
    expect(s.metrics!.labels.every((l) => Number.isNaN(l.nsd))).toBe(true);
    expect(s.metrics!.warnings.join(' | ')).toMatch(/gts spacing \[NaN, 1, 1\] holds NaN: as the official scorer, DSC is computed and NSD is NaN/);
  });

  it('official mode, NaN spacing below the DSC gate: NSD 0 as the official scorer', async () => {
    const s = await scoreCase(files('nan-gated', 'gts'), files('nan-gated', 'segs'));
    expect(s.status, s.error).toBe('ok');
    expect(close(s.dsc, want['nan-gated']!.dsc!, 1e-12)).toBe(true);
    expect(want['nan-gated']!.nsd).toBe(0);
    expect(s.nsd).toBe(0);
  });

  it('negative spacing: refused in official mode too, because the official NSD is not that of |spacing|', async () => {
    // the reference: same DSC, but scipy's EDT with a negative sampling gives another NSD than the control (|spacing|)
    expect(want.negative!.dsc).toBe(want.control!.dsc);
    expect(Math.abs(want.negative!.nsd! - want.control!.nsd!)).toBeGreaterThan(0.5);
    const s = await scoreCase(files('negative', 'gts'), files('negative', 'segs'));
    expect(s.status).toBe('failed');
    expect(s.error).toMatch(/key 'spacing' must hold 3 positive finite values, got \[-1\.5, 1, -2\.5\] \(the official scorer's NSD with a negative spacing depends on scipy's feature transform/);
    const problems = await validateCase(files('negative', 'imgs'), files('negative', 'gts'));
    expect(problems.filter((p) => p.severity === 'error').map((p) => p.key)).toEqual(['spacing', 'spacing']);
  });

  it('strict mode refuses a NaN spacing', async () => {
    const s = await scoreCase(files('nan', 'gts'), files('nan', 'segs'), { mode: 'strict' });
    expect(s.status).toBe('failed');
    expect(s.error).toMatch(/key 'spacing' must hold 3 positive finite values, got \[NaN, 1, 1\] \(strict mode; official mode scores a NaN spacing as the official scorer does/);
  });

  it('cases validate warns (no error); the bench run pre-check refuses the case in strict mode only', async () => {
    for (const v of ['nan']) {
      const problems = await validateCase(files(v, 'imgs'), files(v, 'gts'));
      expect(problems.filter((p) => p.severity === 'error'), v).toEqual([]);
      const warned = problems.filter((p) => p.key === 'spacing');
      expect(warned.map((p) => p.file)).toEqual([files(v, 'imgs'), files(v, 'gts')]);
      expect(warned.every((p) => p.strictError && /spacing holds NaN: official mode scores the case as the official scorer does/.test(p.message))).toBe(true);
      const entry = { name: CASE, imgsPath: files(v, 'imgs'), gtsPath: files(v, 'gts'), modality: 'MR', dim: 3 as const };
      expect((await caseFacts(entry, 'official')).problem).toBeNull();
      expect((await caseFacts(entry, 'strict')).problem).toMatch(/key 'spacing': spacing holds NaN/);
    }
  });

  it('tolerance 0 mm: the official NSD (it used to hang: the search ball grew from radius 0 for ever)', async () => {
    const s = await scoreCase(files('tol0', 'gts'), files('tol0', 'segs'), { tolerance_mm: 0 });
    expect(s.status, s.error).toBe('ok');
    expect(close(s.dsc, want.tol0!.dsc!, 1e-12)).toBe(true);
    expect(close(s.nsd, want.tol0!.nsd!)).toBe(true);
    expect(s.nsd).toBeLessThan(want.control!.nsd!); // a real difference from 2 mm, not the control again
  });

  it('extreme anisotropy [1e300, 3, 3]: finishes with the official result (NaN: infinite surfel areas), it used to hang', async () => {
    expect(want.huge!.nsd).toBeNull();
    const s = await scoreCase(files('huge', 'gts'), files('huge', 'segs'));
    expect(s.status, s.error).toBe('ok');
    expect(close(s.dsc, want.huge!.dsc!, 1e-12)).toBe(true);
    expect(s.nsd).toBeNaN();
  }, 60_000);
});

/**
 * Issue 14, "one rule in one place": each rule below has one definition, every entry point goes through it, and a
 * second copy that disagreed would fail here.
 * - 2D/3D: src/cases/names.ts `caseDim` (validate/list/run/predict via parseCaseName and the case rules, the
 *   command/docker output check, the overlays); the official scorer's `startswith('3D')` rule
 *   (src/metrics/score.ts `dimFromCaseName`) is the documented exception.
 * - segs dtype: src/io/segs.ts `segsDType` (the pipeline allocates with it; before, it made uint32 segs above 65535
 *   boxes that the segs writer refused).
 * - "official needs as-stored spacing": src/types.ts `spacingOrderProblem` (bench metrics, bench run, the metrics API).
 * - peak RSS of this process: src/runner/proctree.ts `processPeakRssMb`.
 * - CLI number text: src/cli/parse/numbers.ts (`bench worker` had its own parser, `bench rank --weights dsc=` read 0);
 *   fixed choices: src/cli/parse/choices.ts (`bench gate` and `bench report` each parsed --average their own way).
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import ts from 'typescript';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { caseDim, parseCaseName, tryParseCaseName } from '../../src/cases/names.js';
import { checkCase, formatCaseErrors } from '../../src/cases/rules.js';
import { validateCase } from '../../src/cases/validate.js';
import { dimFromCaseName } from '../../src/metrics/score.js';
import { computeCaseMetrics } from '../../src/metrics/case.js';
import { emptySegs, segsArray, segsDType } from '../../src/io/segs.js';
import { writeNpz } from '../../src/io/npz.js';
import { predictCase, type Box4, type SegModel } from '../../src/runner/pipeline.js';
import { checkedSpatialShape } from '../../src/runner/external.js';
import { loadOverlayCase } from '../../src/overlays/load.js';
import { spacingOrderProblem } from '../../src/types.js';
import { parseWeights } from '../../src/cli/rank.js';
import { REPO } from '../shared.js';
import { benchSync } from '../bench-cli.js';
import { definitions } from './grep.js';

const bench = (...args: string[]) => benchSync(args, { timeout: 60_000 });

/** A real (if simple) box prompt model: the mask is the box itself in the 256 frame. */
const boxFill: SegModel<null> = {
  encode: () => Promise.resolve(null),
  decode: (_e: null, b: Box4) => {
    const out = new Float32Array(256 * 256).fill(-10);
    for (let y = Math.max(0, Math.floor(b[1])); y <= Math.min(255, b[3]); y++) for (let x = Math.max(0, Math.floor(b[0])); x <= Math.min(255, b[2]); x++) out[y * 256 + x] = 10;
    return Promise.resolve(out);
  },
};

function image2d(h: number, w: number) {
  const data = new Uint8Array(h * w * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251;
  return { dtype: 'uint8' as const, shape: [h, w, 3], data };
}
function boxes(rows: number[][]) {
  return { dtype: 'int64' as const, shape: [rows.length, rows[0]!.length], data: BigInt64Array.from(rows.flat().map(BigInt)) };
}

describe('2D/3D: one rule (src/cases/names.ts caseDim)', () => {
  it('the name prefix decides; without it the boxes width; else undefined', () => {
    expect(caseDim('2DBox_CT_0001.npz')).toBe(2);
    expect(caseDim('/x/3DBox_MR_0001.npz', 4)).toBe(3); // the name wins (rules.ts reports the mismatch)
    expect(caseDim('renamed', 4)).toBe(2);
    expect(caseDim('renamed', 6)).toBe(3);
    expect(caseDim('renamed')).toBeUndefined();
  });

  it('every entry point gives the same dimension', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'medseg-dim-'));
    mkdirSync(path.join(dir, 'imgs'));
    const img2 = image2d(12, 20);
    const img3 = { dtype: 'uint8' as const, shape: [3, 12, 20], data: new Uint8Array(3 * 12 * 20).fill(90) };
    const spacing = { dtype: 'float64' as const, shape: [3], data: Float64Array.from([1, 1, 2]) };
    for (const [name, imgs, b] of [
      ['2DBox_CT_0001', img2, boxes([[2, 2, 10, 8]])],
      ['3DBox_MR_0001', img3, boxes([[2, 2, 0, 10, 8, 2]])],
    ] as const) {
      const file = path.join(dir, 'imgs', `${name}.npz`);
      const arrays = { imgs, boxes: b, ...(imgs.shape.length === 3 && imgs.shape[2] !== 3 ? { spacing } : {}) };
      await writeNpz(file, arrays);
      const want = caseDim(name)!;
      expect(parseCaseName(file).dim).toBe(want);
      expect((await checkedSpatialShape(file)).length).toBe(want);
      expect((await loadOverlayCase(dir, name)).dim).toBe(want);
      const checked = checkCase(file, tryParseCaseName(file), arrays);
      expect(checked.dim).toBe(want);
      expect((await predictCase(checked, boxFill)).dim).toBe(want);
      expect(dimFromCaseName(name)).toBe(want); // the scorer's exception agrees on challenge names
    }
    // a renamed 2D file: the case rules take the boxes' width, like caseDim
    expect(checkCase('renamed.npz', undefined, { imgs: img2, boxes: boxes([[2, 2, 10, 8]]) }).dim).toBe(caseDim('renamed', 4));
  });

  it('no second copy of the prefix rule in src/ (the scorer exception aside)', () => {
    expect(definitions(/startsWith\(['"][23]D/)).toEqual(['src/cases/names.ts', 'src/metrics/score.ts']);
  });
});

describe('case rules: the overlays load through them (src/cases/validate.ts loadCaseImgs / loadCaseGts)', () => {
  it('a broken imgs or gts file is refused with the message of bench cases validate, not drawn', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'medseg-overlay-rules-'));
    mkdirSync(path.join(dir, 'imgs'));
    mkdirSync(path.join(dir, 'gts'));
    // imgs float32 (the rules want uint8) and a box past the right edge
    const bad = '2DBox_CT_0001';
    const img = image2d(12, 20);
    await writeNpz(path.join(dir, 'imgs', `${bad}.npz`), { imgs: { dtype: 'float32', shape: img.shape, data: Float32Array.from(img.data) }, boxes: boxes([[2, 2, 25, 8]]) });
    // valid imgs, gts of another shape
    const badGts = '2DBox_CT_0002';
    await writeNpz(path.join(dir, 'imgs', `${badGts}.npz`), { imgs: img, boxes: boxes([[2, 2, 10, 8]]) });
    await writeNpz(path.join(dir, 'gts', `${badGts}.npz`), { gts: { dtype: 'uint8', shape: [11, 20], data: new Uint8Array(220) } });
    for (const name of [bad, badGts]) {
      const imgsFile = path.join(dir, 'imgs', `${name}.npz`);
      const gtsFile = path.join(dir, 'gts', `${name}.npz`);
      const expected = formatCaseErrors(await validateCase(imgsFile, name === badGts ? gtsFile : undefined));
      expect(expected).toMatch(/key '(imgs|boxes|gts)'/);
      await expect(loadOverlayCase(dir, name)).rejects.toThrow(expected);
    }
  });
});

describe('run settings: one definition (src/run/orchestrate.ts RunSettings)', () => {
  /** Members declared by `iface` in `file`: name -> type text. */
  function members(file: string, iface: string): Map<string, string> {
    const src = ts.createSourceFile(file, readFileSync(path.join(REPO, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const out = new Map<string, string>();
    src.forEachChild((n) => {
      if (ts.isInterfaceDeclaration(n) && n.name.text === iface) {
        for (const m of n.members) if (ts.isPropertySignature(m)) out.set(m.name.getText(src), m.type?.getText(src) ?? '');
      }
    });
    return out;
  }

  it('RunIdentity (resume) repeats no field of RunSettings; the one it refines says so by type', () => {
    const settings = members('src/run/orchestrate.ts', 'RunSettings');
    const identity = members('src/run/resume.ts', 'RunIdentity');
    expect(settings.size).toBeGreaterThan(5);
    expect(identity.size).toBeGreaterThan(0);
    for (const [name, type] of identity) if (settings.has(name)) expect(type, `RunIdentity.${name}`).toContain("RunSettings['");
    expect(definitions(/'interleaved' \| 'grouped'/)).toEqual([]);
  });
});

describe('segs dtype: one rule (src/io/segs.ts segsDType)', () => {
  it('uint8 up to 255 labels, uint16 up to 65535, an error above, in the writer and the pipeline alike', async () => {
    expect([0, 255, 256, 65535].map(segsDType)).toEqual(['uint8', 'uint8', 'uint16', 'uint16']);
    expect(() => segsDType(65536)).toThrow(/exceeds the uint16 range/);
    expect(emptySegs([2, 2], 65535).dtype).toBe('uint16');
    expect(segsArray(new Uint32Array([0, 256]), [1, 2]).dtype).toBe('uint16');
    for (const n of [255, 256]) {
      const rows = Array.from({ length: n }, (_, i) => [i % 20, 0, i % 20, 3]);
      const r = await predictCase(checkCase('2DBox_CT_0001.npz', tryParseCaseName('2DBox_CT_0001.npz'), { imgs: image2d(4, 20), boxes: boxes(rows) }), boxFill);
      expect(r.segs.dtype, `${n} boxes`).toBe(segsDType(n));
    }
  });

  it('no other place picks a segs dtype', () => {
    expect(definitions(/dtype: 'uint(8|16|32)', shape/)).toEqual([]);
  });
});

describe('"official needs as-stored spacing": one rule (src/types.ts spacingOrderProblem)', () => {
  const gt = { dtype: 'uint8' as const, shape: [2, 4, 4], data: new Uint8Array(32).fill(1) };
  it('the metrics API, bench metrics and bench run refuse official + xyz with its sentence', () => {
    const problem = spacingOrderProblem('official', 'xyz')!;
    expect(spacingOrderProblem('strict', 'xyz')).toBeUndefined();
    expect(spacingOrderProblem('official', 'as-stored')).toBeUndefined();
    expect(() => computeCaseMetrics(gt, gt, { dim: 3, spacing: [1, 1, 1], spacingOrder: 'xyz' })).toThrow(problem);
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'medseg-order-'));
    const m = bench('metrics', '--gts', tmp, '--segs', tmp, '--spacing-order', 'xyz');
    expect(m.status).toBe(2);
    expect(m.stderr).toContain(problem);
    const r = bench('run', '--variants', 'oracle', '--filter', '2DBox_US_0001', '--out', path.join(tmp, 'r'), '--spacing-order', 'xyz');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(problem);
  }, 120_000);

  it('no second copy in src/', () => {
    expect(definitions(/['"]official['"] && \w+(\.\w+)? !== ['"]as-stored['"]|!== ['"]as-stored['"] && \w+ === ['"]official/)).toEqual([]);
  });
});

describe('peak RSS and CLI number text: one definition each', () => {
  it('maxRSS is read in one place', () => {
    expect(definitions(/resourceUsage\(\)\.maxRSS/)).toEqual(['src/runner/proctree.ts']);
  });

  it('command-line numbers go through src/cli/parse/numbers.ts', () => {
    expect(definitions(/\bNumber\((s|v|value|text)\)|parseInt\(|parseFloat\(/, 'src/cli')).toEqual(['src/cli/parse/numbers.ts']);
    expect(() => parseWeights('dsc=')).toThrow(/found "dsc="/);
    expect(parseWeights('dsc=1,time=0.5')).toEqual({ dsc: 1, time: 0.5 });
    // one choice parser too: bench gate and bench report say the same of a bad --average
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'medseg-choice-'));
    for (const args of [['gate', '--baseline', path.join(tmp, 'b.json'), tmp], ['report', tmp]]) {
      const r = bench(...args, '--average', 'mean');
      expect(r.status, args[0]).toBe(2);
      expect(r.stderr, args[0]).toContain('--average: expected "modality" or "case", found "mean"');
    }
    const w = bench('worker', '--concurrency', '0');
    expect(w.status).toBe(2);
    expect(w.stderr).toContain('--concurrency: expected a positive integer, found "0"');
  }, 60_000);
});

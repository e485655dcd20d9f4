/**
 * Bad input gives a clear error for that variant or case, and the other cases continue: missing model file, wrong
 * tensor names, sha256 mismatch, invalid cases (missing key, wrong shape/dtype, z_min >= z_max, z_middle outside the
 * volume, height 1, aspect ratio above 512:1). Also: more than 255 boxes gives uint16 segs without wrapping, and the
 * `bench predict` CLI (built dist) exits 1 after writing every good case.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpz, writeNpz } from '../../src/io/npz.js';
import { predictFolder } from '../../src/cli/predict.js';
import { createRunner } from '../../src/runner/create.js';
import { loadVariants, type OnnxVariant } from '../../src/runner/variants.js';
import type { NdArray } from '../../src/types.js';
import { INDEX, PUBLIC_IMGS, REPO, sha256Of } from './golden.js';
import { benchSync } from '../bench-cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'runner-bad-'));
const oracle = loadVariants().find((v) => v.name === 'oracle') as OnnxVariant;
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const u8 = (shape: number[], fill = 0): NdArray => ({
  dtype: 'uint8',
  shape,
  data: new Uint8Array(shape.reduce((a, b) => a * b, 1)).fill(fill),
});
/** A valid 3D spacing (mm): the case rules require one (src/cases/rules.ts). */
const SPACING: NdArray = { dtype: 'float64', shape: [3], data: new Float64Array([1, 1, 1]) };
const i64 = (rows: number[][]): NdArray => ({
  dtype: 'int64',
  shape: [rows.length, rows[0]?.length ?? 4],
  data: BigInt64Array.from(rows.flat().map(BigInt)),
});
function noise(shape: number[]): NdArray {
  const a = u8(shape);
  let s = 12345;
  for (let i = 0; i < a.data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a.data[i] = s >>> 24;
  }
  return a;
}

describe('variant load errors', () => {
  it('missing model file names the variant, role and path', async () => {
    const r = createRunner({ ...oracle, encoder: path.join(tmp, 'nope', 'encoder.onnx') });
    await expect(r.prepare()).rejects.toThrow(/variant "oracle": encoder model file not found: .*nope\/encoder\.onnx/);
  });
  it('wrong tensor names list what the model has', async () => {
    const r = createRunner({ ...oracle, tensors: { ...oracle.tensors, image: 'pixel_values' } });
    await expect(r.prepare()).rejects.toThrow(/encoder model .*: no input named "pixel_values" \(tensors.image\); the model's inputs are: "image"/);
    const r2 = createRunner({ ...oracle, boxEncoding: { type: 'points', coordsInput: 'point_coords', labelsInput: 'point_labels' } });
    await expect(r2.prepare()).rejects.toThrow(/decoder model .*: no input named "point_coords" \(boxEncoding.coordsInput\); the model's inputs are: "image_embeddings", "boxes"/);
    const r3 = createRunner({ ...oracle, tensors: { ...oracle.tensors, masks: 'masks' } });
    await expect(r3.prepare()).rejects.toThrow(/no output named "masks" \(tensors.masks\); the model's outputs are: "low_res_masks", "iou_predictions"/);
  });
  it('sha256 mismatch', async () => {
    const r = createRunner({ ...oracle, sha256: { encoder: '0'.repeat(64) } });
    await expect(r.prepare()).rejects.toThrow(/encoder model .*encoder\.onnx: sha256 mismatch: expected 0{64}, found ce494209/);
  });
  it('a file that is not ONNX', async () => {
    const f = path.join(tmp, 'garbage.onnx');
    writeFileSync(f, 'not a model');
    const r = createRunner({ ...oracle, decoder: f, sha256: undefined });
    await expect(r.prepare()).rejects.toThrow(/decoder model .*garbage\.onnx: onnxruntime cannot load it/);
  });
  it('the variants file is validated (schema errors name the key)', () => {
    const f = path.join(tmp, 'variants.json');
    writeFileSync(f, JSON.stringify({ variants: [{ name: 'x', kind: 'onnx', encoder: 'e.onnx', sha256: { encoder: 'abc' } }] }));
    expect(() => loadVariants(f)).toThrow(/variants\.0\.decoder[\s\S]*variants\.0\.sha256\.encoder/);
  });
});

describe('invalid cases fail alone; the others continue', () => {
  const input = path.join(tmp, 'imgs');
  const output = path.join(tmp, 'segs');
  const good = ['2DBox_Mammography_0003.npz', '3DBox_MR_0002.npz'];
  const bad: Record<string, [Record<string, NdArray>, RegExp]> = {
    '2DBox_Bad_0001': [{ imgs: u8([40, 50, 3]) }, /2DBox_Bad_0001\.npz: key 'boxes': missing key 'boxes' \(expected key 'boxes'; found keys: imgs\)/],
    '2DBox_Bad_0002': [{ imgs: u8([40, 50, 4]), boxes: i64([[1, 1, 5, 5]]) }, /key 'imgs': 2D imgs must be an RGB image \(H, W, 3\) \(expected \(H, W, 3\); found \(40, 50, 4\)\)/],
    '2DBox_Bad_0003': [{ imgs: { dtype: 'float32', shape: [8, 8, 3], data: new Float32Array(192) }, boxes: i64([[1, 1, 5, 5]]) }, /key 'imgs': imgs must be uint8 intensities 0\.\.255 \(expected uint8; found float32/],
    '2DBox_Bad_0004': [{ imgs: u8([1, 300, 3]), boxes: i64([[1, 0, 5, 0]]) }, /image of size 1x300: height 1 crashes the reference/],
    '2DBox_Bad_0005': [{ imgs: u8([2, 1100, 3]), boxes: i64([[1, 0, 5, 1]]) }, /image of size 2x1100 resizes to 0x256 \(aspect ratio above 512:1/],
    '2DBox_Bad_0006': [{ imgs: u8([20, 20, 3]), boxes: i64([[1, 1, 5, 5, 6, 7]]) }, /key 'boxes': boxes of width 6 are 3D boxes but the file name says 2D/],
    '3DBox_Bad_0007': [{ imgs: u8([6, 20, 20]), boxes: i64([[1, 1, 3, 5, 5, 3]]), spacing: SPACING }, /key 'boxes': .*box 0 \[1, 1, 3, 5, 5, 3\]: z_min 3 == z_max 3 \(the reference asserts z_min < z_max\)/],
    '3DBox_Bad_0008': [{ imgs: u8([6, 20, 20]), boxes: i64([[1, 1, 0, 5, 5, 2], [1, 1, 8, 5, 5, 12]]), spacing: SPACING }, /key 'boxes': .*box 1 \[1, 1, 8, 5, 5, 12\]: z 8\.\.12 outside 0\.\.5/],
    '2DBox_Bad_0011': [{ imgs: u8([20, 20]), boxes: i64([[1, 1, 5, 5]]) }, /key 'imgs': 2D imgs must be an RGB image \(H, W, 3\) \(expected \(H, W, 3\); found \(20, 20\)\)/],
    '3DBox_Bad_0012': [{ imgs: u8([20, 20, 3, 1]), boxes: i64([[1, 1, 0, 5, 5, 2]]), spacing: SPACING }, /key 'imgs': 3D imgs must be a volume \(D, H, W\) \(expected \(D, H, W\); found \(20, 20, 3, 1\)\)/],
    '3DBox_Bad_0009': [{ imgs: { dtype: 'uint16', shape: [2, 4, 4], data: new Uint16Array(32).fill(300) }, boxes: i64([[0, 0, 0, 3, 3, 1]]), spacing: SPACING }, /key 'imgs': imgs must be uint8 intensities 0\.\.255 \(expected uint8; found uint16, range 300\.\.300\)/],
  };
  beforeAll(async () => {
    mkdirSync(input, { recursive: true });
    for (const g of good) copyFileSync(path.join(PUBLIC_IMGS, g), path.join(input, g));
    for (const [name, [arrays]] of Object.entries(bad)) await writeNpz(path.join(input, `${name}.npz`), arrays);
    writeFileSync(path.join(input, '2DBox_Bad_0010.npz'), 'this is not a zip file');
  });

  it('predictFolder reports each bad case with a clear message and writes the good ones exactly', async () => {
    const logs: string[] = [];
    const s = await predictFolder({ variant: 'oracle', input, output }, (l) => logs.push(l));
    expect(s.ok.sort()).toEqual(good.map((g) => g.replace('.npz', '')).sort());
    expect(s.failed.map((f) => f.case).sort()).toEqual([...Object.keys(bad), '2DBox_Bad_0010'].sort());
    for (const [name, [, re]] of Object.entries(bad)) {
      expect(s.failed.find((f) => f.case === name)!.error, name).toMatch(re);
    }
    expect(s.failed.find((f) => f.case === '2DBox_Bad_0010')!.error).toMatch(/2DBox_Bad_0010\.npz: key '\(file\)': not a readable \.npz \(zip\) archive/);
    for (const g of good) {
      const segs = (await readNpz(path.join(output, g))).segs!;
      expect(sha256Of(segs)).toBe(INDEX.sets.e2e.cases.find((c: any) => c.case === g).segs_sha256);
    }
    expect(readdirSync(output).filter((f) => f.endsWith('.npz')).sort()).toEqual([...good].sort());
    expect(logs.some((l) => l.startsWith('FAILED 3DBox_Bad_0007'))).toBe(true);
  });

  it('`bench predict` (dist) exits 1 after writing every good case; 2 for an unknown variant', () => {
    // dist is built once by test/global-setup.ts (a build here would race other files' subprocesses)
    expect(existsSync(path.join(REPO, 'dist', 'cli', 'predict.js'))).toBe(true);
    const out2 = path.join(tmp, 'segs-cli');
    const r = benchSync(['predict', '--variant', 'oracle', '--input', input, '--output', out2, '--threads', '1']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/bench predict: 2 ok, 12 failed/);
    expect(r.stderr).toMatch(/FAILED 3DBox_Bad_0008: .*z 8\.\.12 outside 0\.\.5/);
    expect(readdirSync(out2).filter((f) => f.endsWith('.npz')).sort()).toEqual([...good].sort());
    const r2 = benchSync(['predict', '--variant', 'nope', '--input', input, '--output', out2]);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/unknown variant "nope"; known: noaug-fp32, noaug-int8, aug-fp32, aug-int8, oracle/);
    // a single case file instead of its folder: a usage error that says a folder is needed
    const r3 = benchSync(['predict', '--variant', 'oracle', '--input', path.join(input, good[0]!), '--output', out2]);
    expect(r3.status).toBe(2);
    expect(r3.stderr).toMatch(/--input .*2DBox_Mammography_0003\.npz: expected a folder of imgs \.npz files, found a file \(give its folder: --input .*imgs\)/);
  });
});

describe('more than 255 boxes: uint16, never a silent wrap', () => {
  it('3D case with 300 boxes keeps labels 256..300 (prompt mask value min(i,255))', async () => {
    const D = 4;
    const imgs = noise([D, 24, 30]);
    // Box i covers one 3x3 patch in a 15x20 grid of distinct patches... 300 boxes over 4 slices (z 0..1 or 2..3).
    const rows: number[][] = [];
    for (let i = 0; i < 300; i++) {
      const x = (i % 10) * 3;
      const y = Math.floor(i / 10) % 8 * 3;
      const z = i < 150 ? 0 : 2;
      rows.push([x, y, z, x + 2, y + 2, z + 1]);
    }
    const dir = path.join(tmp, 'many');
    mkdirSync(dir, { recursive: true });
    await writeNpz(path.join(dir, '3DBox_Synth_0001.npz'), { imgs, boxes: i64(rows), spacing: SPACING });
    const r = createRunner(oracle);
    await r.prepare();
    const o = await r.runCase(path.join(dir, '3DBox_Synth_0001.npz'), path.join(dir, 'out.npz'), { caseName: '3DBox_Synth_0001', logDir: dir });
    await r.dispose();
    const segs = (await readNpz(path.join(dir, 'out.npz'))).segs!;
    expect(segs.dtype).toBe('uint16');
    expect(o.decoderCalls).toBe(600);
    const labels = new Set(segs.data as Uint16Array);
    const max = Math.max(...labels);
    // Later boxes overwrite earlier ones; the last boxes (up to 300) must survive with their own value.
    expect(max).toBeGreaterThan(255);
    expect(max).toBeLessThanOrEqual(300);
    const py = `import numpy as np,sys; a=np.load(sys.argv[1])['segs']; print(a.dtype.str, int(a.max()))`;
    expect(execFileSync('python3', ['-c', py, path.join(dir, 'out.npz')], { encoding: 'utf8' }).trim()).toBe(`<u2 ${max}`);
  });
});

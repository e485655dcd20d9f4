import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CaseValidationError, listCaseSet, loadCaseGts, loadCaseImgs, parseCaseName, validateCase } from '../../src/cases/index.js';
import { register } from '../../src/cli/cases.js';
import { HAVE_SHARED, python, REPO, SHARED } from '../io/helpers.js';
import { benchSync } from '../bench-cli.js';

/** Runs `bench cases ...` in-process through the real commander registration; returns exit code and output. */
async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const saved = process.exitCode;
  process.exitCode = undefined;
  try {
    const program = new Command().exitOverride();
    register(program);
    await program.parseAsync(['node', 'bench', 'cases', ...args]);
    return { code: Number(process.exitCode ?? 0), out: lines.join('\n') };
  } finally {
    process.exitCode = saved;
    log.mockRestore();
    err.mockRestore();
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medseg-cases-'));
  execFileSync('python3', [join(REPO, 'test', 'cases', 'make_corrupt_sets.py'), dir]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseCaseName', () => {
  it('reads dim, modality (with dashes) and id from the file name', () => {
    expect(parseCaseName('/x/imgs/2DBox_X-Ray_0001.npz')).toEqual({ name: '2DBox_X-Ray_0001', dim: 2, modality: 'X-Ray', id: '0001' });
    expect(parseCaseName('3DBox_CT_0002.npz')).toEqual({ name: '3DBox_CT_0002', dim: 3, modality: 'CT', id: '0002' });
    expect(parseCaseName('3DBox_PET-CT_Lung_12')).toMatchObject({ dim: 3, modality: 'PET-CT_Lung', id: '12' });
  });
  it('refuses other names, naming the file and the pattern', () => {
    expect(() => parseCaseName('imgs/4DBox_CT_1.npz')).toThrow(/imgs\/4DBox_CT_1\.npz: case file name does not follow 2DBox_<Modality>_<id>\.npz/);
    expect(() => parseCaseName('2DBox_0001.npz')).toThrow(/does not follow/);
  });
});

/** problem set -> [broken case, key, message pattern] */
const EXPECTED: Record<string, [string, string, RegExp]> = {
  truncated_zip: ['imgs/2DBox_US_0002.npz', '(file)', /not a readable \.npz \(zip\) archive.*truncated/],
  wrong_key: ['imgs/2DBox_US_0003.npz', 'imgs', /missing key 'imgs'.*keys: image, boxes/],
  float_image: ['imgs/2DBox_X-Ray_0001.npz', 'imgs', /imgs must be uint8.*uint8.*float32, range 0\.\.1/],
  box_outside: ['imgs/2DBox_Fundus_0001.npz', 'boxes', /1 of 2 boxes are outside the image.*box 1 \[40, 25, 64, 40\]: x 40\.\.64 outside 0\.\.63/],
  object_dtype: ['imgs/2DBox_Endoscopy_0001.npz', 'boxes', /object arrays \(pickles\) are refused/],
  shape_mismatch: ['gts/2DBox_Dermoscopy_0001.npz', 'gts', /gts shape differs from the imgs spatial shape.*\(48, 64\).*\(48, 63\)/],
  missing_spacing: ['imgs/3DBox_CT_0001.npz', 'spacing', /missing key 'spacing'/],
  dim_mismatch: ['imgs/3DBox_MR_0001.npz', 'boxes', /boxes of width 4 are 2D boxes but the file name says 3D/],
  label_without_box: ['gts/2DBox_Microscope_0001.npz', 'gts', /gts labels without a box.*labels 1\.\.2 \(2 boxes\).*labels 3/],
  bad_spacing: ['imgs/3DBox_MR_0002.npz', 'spacing', /spacing must be finite and positive.*\[0\.8, 0, NaN\]/],
  box_min_gt_max: ['imgs/2DBox_OCT_0001.npz', 'boxes', /x_min 30 > x_max 10/],
  corrupt_member: ['imgs/2DBox_Mammography_0001.npz', 'imgs', /CRC-32 mismatch/],
};

describe('bench cases validate: corrupted inputs (made by numpy on the fly)', () => {
  for (const [set, [file, key, pattern]] of Object.entries(EXPECTED)) {
    it(`${set}: exit 1, names ${file} and the problem; the valid case of the set is not reported`, async () => {
      const { code, out } = await cli(['validate', join(dir, set)]);
      expect(code).toBe(1);
      const row = out.split('\n').find((l) => l.startsWith(file));
      expect(row, out).toBeDefined();
      expect(row!.split(/\s{2,}/)[1]).toBe(key);
      expect(row!).toMatch(pattern);
      expect(out).toMatch(/2 cases, 1 valid, 1 invalid/);
      expect(out).not.toMatch(/2DBox_US_0001/);
    });
  }

  it('all broken cases together: each one reported, the valid one still valid (one bad case never stops the others)', async () => {
    const { code, out } = await cli(['validate', join(dir, 'all'), '--json']);
    expect(code).toBe(1);
    const r = JSON.parse(out) as { cases: number; valid: number; invalid: string[]; problems: { file: string; severity: string }[] };
    expect(r.cases).toBe(13);
    expect(r.valid).toBe(1);
    expect(r.invalid).toHaveLength(12);
    expect(r.invalid).not.toContain('2DBox_US_0001');
    for (const [file] of Object.values(EXPECTED)) expect(r.problems.some((p) => p.file.endsWith(file) && p.severity === 'error'), file).toBe(true);
  });

  it('wild but valid files (big-endian, Fortran order, int32 boxes, uint16 gts, float32 spacing, pickled extra key) pass', async () => {
    const { code, out } = await cli(['validate', join(dir, 'wild_valid'), '--warnings']);
    expect(code, out).toBe(0);
    expect(out).toMatch(/2 cases, 2 valid, 0 invalid \(0 errors, 1 warning\)/);
    expect(out).toMatch(/text_prompts\s+warning\s+extra key 'text_prompts' is not loaded: object arrays/);
    const c = await loadCaseImgs(join(dir, 'wild_valid', 'imgs', '3DBox_CT_0001.npz'));
    expect(c.boxes).toEqual([[2, 3, 1, 10, 12, 4]]);
    expect(c.spacing).toEqual([0.800000011920929, 0.800000011920929, 2.5]); // float32(0.8) widened, as numpy does
    const g = await loadCaseGts(join(dir, 'wild_valid', 'gts', '3DBox_CT_0001.npz'), c);
    expect(g.gts.dtype).toBe('uint16');
  });

  it('folder-level problems (no gts/, misnamed file) fail the set without marking the valid case invalid', async () => {
    const d = join(dir, 'folder_level');
    await mkdir(join(d, 'imgs'), { recursive: true });
    await copyFile(join(dir, 'all', 'imgs', '2DBox_US_0001.npz'), join(d, 'imgs', '2DBox_US_0001.npz'));
    await copyFile(join(dir, 'all', 'imgs', '2DBox_US_0001.npz'), join(d, 'imgs', 'US_1.npz'));
    const { code, out } = await cli(['validate', d]);
    expect(code).toBe(1);
    expect(out).toMatch(/^gts\s+\(folder\)\s+error\s+no gts\/ folder/m);
    expect(out).toMatch(/^imgs\/US_1\.npz\s+\(name\)\s+error\s+case file name does not follow/m);
    expect(out).toMatch(/1 case, 1 valid, 0 invalid \(2 errors/);
    expect((await cli(['validate', d, '--no-gts'])).out).toMatch(/\(1 error,/);
  });

  it('a folder that is not a case set (no imgs/, no gts/): a usage error, exit 2 as in bench run', async () => {
    const { code, out } = await cli(['validate', join(dir, 'nope')]);
    expect(code).toBe(2);
    expect(out).toMatch(/nope: not a case set: no imgs\/ folder/);
    const empty = join(dir, 'empty_folder');
    await mkdir(empty, { recursive: true });
    expect((await cli(['validate', empty])).code).toBe(2);
    expect((await cli(['list', empty])).code).toBe(2);
  });
});

describe('library API', () => {
  it('loadCaseImgs throws CaseValidationError listing file, key, expected, found', async () => {
    const f = join(dir, 'float_image', 'imgs', '2DBox_X-Ray_0001.npz');
    const e = await loadCaseImgs(f).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CaseValidationError);
    expect((e as CaseValidationError).problems[0]).toMatchObject({ file: f, key: 'imgs', expected: 'uint8', severity: 'error' });
    expect((e as Error).message).toContain(`${f}: key 'imgs': imgs must be uint8`); // one wording, as every entry point
  });
  it('validateCase never throws, even on garbage', async () => {
    const p = await validateCase(join(dir, 'missing', 'imgs', '2DBox_US_0009.npz'), join(dir, 'missing', 'gts', '2DBox_US_0009.npz'));
    expect(p.map((x) => x.key)).toEqual(['(file)', '(file)']);
  });
  it('listCaseSet pairs imgs and gts by name and flags unpaired files', async () => {
    const s = await listCaseSet(join(dir, 'all'));
    expect(s.cases.map((c) => c.name)).toContain('2DBox_X-Ray_0001');
    expect(s.cases.every((c) => c.gtsPath?.endsWith(`gts/${c.name}.npz`))).toBe(true);
    expect(s.problems).toEqual([]);
  });
});

describe.skipIf(!HAVE_SHARED)('the shared public cases', () => {
  it('loadCaseImgs gives the boxes and spacing numpy reads', async () => {
    for (const name of ['3DBox_CT_0001', '2DBox_Microscope_0003']) {
      const f = join(SHARED, 'cases', 'public', 'imgs', `${name}.npz`);
      const want = JSON.parse(python(`z = np.load(sys.argv[1]); print(json.dumps({'b': z['boxes'].tolist(), 's': z['spacing'].tolist() if 'spacing' in z.files else None, 'shape': list(z['imgs'].shape)}))`, [f]));
      // both cases have overlapping boxes: that is their only warning (counts checked in test/cases/overlap.test.ts)
      const c = await loadCaseImgs(f);
      expect(c.boxes).toEqual(want.b);
      expect(c.spacing ?? null).toEqual(want.s);
      expect(c.imgs.shape).toEqual(want.shape);
      expect(c.warnings.map((p) => [p.key, p.severity, p.message.slice(0, 15)])).toEqual([['boxes', 'warning', 'boxes overlap: ']]);
    }
  });

  it('the built `bench` binary: validate exits 0 on ../shared/cases/public, 1 on the broken set', () => {
    // The CLI is run from dist, built once by test/global-setup.ts (a build here would race other files' subprocesses).
    expect(existsSync(join(REPO, 'dist', 'cli', 'cases.js'))).toBe(true);
    const ok = benchSync(['cases', 'validate', join(SHARED, 'cases', 'public')]);
    expect(ok.stdout).toMatch(/31 cases, 31 valid, 0 invalid \(0 errors/);
    expect(ok.status).toBe(0);
    const bad = benchSync(['cases', 'validate', join(dir, 'all')]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/13 cases, 1 valid, 12 invalid/);
    const list = benchSync(['cases', 'list', join(SHARED, 'cases', 'public')]);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/3DBox_CT_0001\s+CT\s+3D\s+\(30, 101, 122\)\s+37\s+\(3, 3, 3\)/);
    expect(list.stdout).toMatch(/31 cases, 9 modalities/);
  });
});

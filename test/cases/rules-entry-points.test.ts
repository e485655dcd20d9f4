/**
 * One case rules module (src/cases/rules.ts), one verdict everywhere: every corrupt case of the suite (the `rules` and
 * `all` sets of test/cases/make_corrupt_sets.py, plus the valid `wild_valid` files) goes through
 *   - `bench cases validate` (validateCase),
 *   - the in-process runner that `bench predict` and `bench run` use (OnnxRunner.runCase with the real oracle ONNX
 *     pair; the pipeline itself takes only a case the rules passed),
 *   - the command runner's input/output check (a predictor that writes zeros of the imgs' shape whatever it gets, so
 *     the verdict is the harness's alone; the docker runner shares that code, src/runner/external-runner.ts),
 *   - and `bench run` (its pre-check reads imgs and gts),
 * and the verdict (valid / invalid) and the message must be the same at every entry point. Before: a 3D box with
 * z_min == z_max and a 2D image of height 1 passed validate but crashed predict; uint16 imgs, float boxes, a box
 * outside the image, a 3D case without spacing and zero boxes were refused by validate but predicted; the command
 * runner checked only the imgs header (a float image, an (H, W) 2D image, a box outside, a truncated member ran).
 */
import { execFileSync } from 'node:child_process';
import fs, { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { validateCase } from '../../src/cases/validate.js';
import { CheckedCase, formatCaseErrors } from '../../src/cases/rules.js';
import { createRunner } from '../../src/runner/create.js';
import { loadVariants, type CommandVariant } from '../../src/runner/variants.js';
import { runBenchmark } from '../../src/run/orchestrate.js';
import type { VariantRunner } from '../../src/runner/types.js';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const VALID = new Set(['2DBox_US_0001', '3DBox_CT_0103']);
/** rule each broken case breaks -> the message every entry point gives */
const EXPECTED: Record<string, RegExp> = {
  '3DBox_CT_0101': /z_min 2 == z_max 2 \(the reference asserts z_min < z_max\)/,
  '3DBox_CT_0102': /missing key 'spacing'/,
  '2DBox_US_0101': /height 1 crashes the reference pipeline/,
  '2DBox_US_0102': /imgs must be uint8/,
  '2DBox_US_0103': /boxes must be integer/,
  '2DBox_US_0104': /no boxes/,
  '2DBox_US_0105': /outside the image/,
  '2DBox_US_0106': /resizes to 0x256 \(aspect ratio above 512:1/,
};

/** A predictor that trusts its input: segs of zeros with the imgs' spatial shape (2D: (H, W), 3D: (D, H, W)). */
const ZEROS = [
  'import os, sys, numpy as np',
  'i, o = sys.argv[1], sys.argv[2]',
  'for f in os.listdir(i):',
  '    a = np.load(os.path.join(i, f))["imgs"]',
  '    np.savez_compressed(os.path.join(o, f), segs=np.zeros(a.shape[:2] if f.startswith("2D") else a.shape, np.uint8))',
].join('\n');
const zerosCmd: CommandVariant = { name: 'zeros-cmd', kind: 'command', command: ['python3', '-c', ZEROS, '{inputs}', '{outputs}'], timeoutS: 60 };

let root: string;
let dir: string;
let runner: VariantRunner;
let command: VariantRunner;
beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'medseg-rules-'));
  execFileSync('python3', [path.join(REPO, 'test', 'cases', 'make_corrupt_sets.py'), root]);
  dir = path.join(root, 'rules');
  runner = createRunner(loadVariants().find((v) => v.name === 'oracle')!, { threads: 1 });
  await runner.prepare();
  command = createRunner(zerosCmd);
  await command.prepare();
}, 120_000);

/** The verdict of a runner on one imgs file: null when it predicted, else its message. */
async function verdict(r: VariantRunner, imgs: string, name: string, out: string): Promise<string | null> {
  try {
    await r.runCase(imgs, path.join(out, `${name}.npz`), { caseName: name, logDir: path.join(out, 'logs') });
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('case rules: the same verdict at every entry point', () => {
  it('the pipeline takes a CheckedCase, which only the rules make', () => {
    const imgs = { dtype: 'uint8' as const, shape: [2, 2, 3], data: new Uint8Array(12) };
    expect(() => new CheckedCase(Symbol('checked case') as never, 'x.npz', 2, imgs, [[0, 0, 1, 1]], [2, 2], undefined, [])).toThrow(/made by checkCase\(\) only/);
  });

  it('predict opens the case archive once (imgs, boxes and the optional spacing in one pass)', async () => {
    const imgs = path.join(dir, 'imgs', '3DBox_CT_0103.npz');
    const open = vi.spyOn(fs, 'open'); // yauzl opens a large archive through fs.open
    const readWhole = vi.spyOn(fs, 'readFileSync'); // a small archive is read whole (src/io/zip.ts SMALL_NPZ_BYTES)
    try {
      await runner.runCase(imgs, path.join(dir, 'out-once', '3DBox_CT_0103.npz'), { caseName: '3DBox_CT_0103', logDir: path.join(dir, 'logs') });
      expect([...open.mock.calls, ...readWhole.mock.calls].filter((c) => c[0] === imgs)).toHaveLength(1);
    } finally {
      open.mockRestore();
      readWhole.mockRestore();
    }
  }, 60_000);

  it('the set holds every rule case and the valid ones', () => {
    const names = readdirSync(path.join(dir, 'imgs')).map((f) => f.slice(0, -4)).sort();
    expect(names).toEqual([...VALID, ...Object.keys(EXPECTED)].sort());
  });

  for (const name of [...VALID, ...Object.keys(EXPECTED)]) {
    it(`${name}: validate, predict and the command runner agree`, async () => {
      const imgs = path.join(dir, 'imgs', `${name}.npz`);
      const errors = (await validateCase(imgs)).filter((p) => p.severity === 'error');
      const predictError = await verdict(runner, imgs, name, path.join(dir, 'out'));
      const commandError = await verdict(command, imgs, name, path.join(dir, 'out-cmd'));
      if (VALID.has(name)) {
        expect(errors).toEqual([]);
        expect(predictError).toBeNull();
        expect(commandError).toBeNull();
      } else {
        expect(formatCaseErrors(errors)).toMatch(EXPECTED[name]!);
        expect(predictError).toBe(formatCaseErrors(errors));
        expect(commandError).toBe(formatCaseErrors(errors));
      }
    }, 60_000);
  }

  it('every other corrupt and wild file of the suite: one verdict, one message at every entry point', async () => {
    const checked: string[] = [];
    for (const set of ['all', 'wild_valid']) {
      for (const f of readdirSync(path.join(root, set, 'imgs')).sort()) {
        const name = f.slice(0, -4);
        const imgs = path.join(root, set, 'imgs', f);
        const want = formatCaseErrors(await validateCase(imgs)) || null;
        const out = path.join(root, set, 'out');
        expect(await verdict(runner, imgs, name, out), `${set}/${name} predict`).toBe(want);
        expect(await verdict(command, imgs, name, `${out}-cmd`), `${set}/${name} command`).toBe(want);
        checked.push(`${set}/${name}:${want ? 'invalid' : 'valid'}`);
      }
    }
    // the suite's imgs-level corruptions are all there (gts-level ones are valid imgs; bench run checks them below)
    expect(checked.filter((c) => c.endsWith(':invalid')).length).toBeGreaterThanOrEqual(9);
    expect(checked).toContain('wild_valid/3DBox_CT_0001:valid');
  }, 120_000);

  it('bench run on the whole corrupt suite fails exactly the cases validate refuses (imgs + gts), with its message', async () => {
    const oracle = loadVariants().find((v) => v.name === 'oracle')!;
    const r = await runBenchmark({
      casesDir: path.join(root, 'all'), outDir: path.join(root, 'run-all'), variants: [oracle], resume: false, repeat: 1, warmup: 0,
      mode: 'official', spacingOrder: 'as-stored', threads: 1, embeddingCache: true, command: ['test'],
    });
    expect(r.rows.length).toBe(readdirSync(path.join(root, 'all', 'imgs')).length);
    for (const row of r.rows) {
      const want = formatCaseErrors(await validateCase(path.join(root, 'all', 'imgs', `${row.case}.npz`), path.join(root, 'all', 'gts', `${row.case}.npz`)));
      expect(row.status, `${row.case}: ${row.error}`).toBe(want ? 'failed' : 'ok');
      if (want) expect(row.error).toBe(`invalid case: ${want}`.replace(/\s+/g, ' ').slice(0, 2000));
    }
  }, 120_000);

  it('bench run fails exactly the invalid cases (the others are scored)', async () => {
    const oracle = loadVariants().find((v) => v.name === 'oracle')!;
    const r = await runBenchmark({
      casesDir: dir, outDir: path.join(dir, 'run'), variants: [oracle], resume: false, repeat: 1, warmup: 0, mode: 'official',
      spacingOrder: 'as-stored', threads: 1, embeddingCache: true, command: ['test'],
    });
    for (const row of r.rows) {
      expect(row.status, `${row.case}: ${row.error}`).toBe(VALID.has(row.case) ? 'ok' : 'failed');
      if (!VALID.has(row.case)) expect(row.error).toMatch(EXPECTED[row.case]!);
    }
    expect(r.rows).toHaveLength(VALID.size + Object.keys(EXPECTED).length);
  }, 120_000);
});

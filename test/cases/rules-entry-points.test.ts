/**
 * One case rules module (src/cases/rules.ts), one verdict everywhere: every case of the `rules` corrupt set
 * (test/cases/make_corrupt_sets.py) goes through `bench cases validate` (validateCase), the in-process runner that
 * `bench predict` and `bench run` use (OnnxRunner.runCase with the real oracle ONNX pair), and `bench run` itself;
 * the verdict (valid / invalid) must be the same at every entry point. Before: a 3D box with z_min == z_max and a
 * 2D image of height 1 passed validate but crashed predict; uint16 imgs, float boxes, a box outside the image, a 3D
 * case without spacing and zero boxes were refused by validate but predicted.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateCase } from '../../src/cases/validate.js';
import { createRunner } from '../../src/runner/create.js';
import { loadVariants } from '../../src/runner/variants.js';
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

let dir: string;
let runner: VariantRunner;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'medseg-rules-'));
  execFileSync('python3', [path.join(REPO, 'test', 'cases', 'make_corrupt_sets.py'), dir]);
  dir = path.join(dir, 'rules');
  runner = createRunner(loadVariants().find((v) => v.name === 'oracle')!, { threads: 1 });
  await runner.prepare();
}, 120_000);

describe('case rules: the same verdict at every entry point', () => {
  it('the set holds every rule case and the valid ones', () => {
    const names = readdirSync(path.join(dir, 'imgs')).map((f) => f.slice(0, -4)).sort();
    expect(names).toEqual([...VALID, ...Object.keys(EXPECTED)].sort());
  });

  for (const name of [...VALID, ...Object.keys(EXPECTED)]) {
    it(`${name}: validate and predict agree`, async () => {
      const imgs = path.join(dir, 'imgs', `${name}.npz`);
      const errors = (await validateCase(imgs)).filter((p) => p.severity === 'error');
      let predictError: string | null = null;
      try {
        await runner.runCase(imgs, path.join(dir, 'out', `${name}.npz`), { caseName: name, logDir: path.join(dir, 'logs') });
      } catch (e) {
        predictError = (e as Error).message;
      }
      if (VALID.has(name)) {
        expect(errors).toEqual([]);
        expect(predictError).toBeNull();
      } else {
        expect(errors.map((p) => `${p.message} (found ${p.found})`).join(' | ')).toMatch(EXPECTED[name]!);
        expect(predictError).toMatch(EXPECTED[name]!);
      }
    }, 60_000);
  }

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

/**
 * Overlapping boxes (issue 14): the overlap in pixels / voxels (src/cases/overlap.ts) against a numpy brute force
 * (a cover-count array), on seeded random boxes (nested, touching, identical, three-way overlaps) and on every real
 * case of ../shared/cases/public; `bench cases validate` warns with the count and the assignment rule (later box wins,
 * ../shared/docs/PIPELINE.md 2D step 8 / 3D step 7); `bench run` writes the count in cases.csv `box_overlap` and the
 * rule in run.json `box_overlap_rule`, reads them back, and the report notes them under the accuracy table.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../bench-cli.js';
import { BOX_OVERLAP_RULE, boxOverlap } from '../../src/cases/overlap.js';
import { validateCase } from '../../src/cases/validate.js';
import { readNpz, toRows } from '../../src/io/npz.js';
import { readRun } from '../../src/results/store.js';
import { buildModel } from '../../src/reports/model.js';
import { runBenchmark } from '../../src/run/orchestrate.js';
import { loadVariants } from '../../src/runner/variants.js';
import { HAVE_SHARED, python, SHARED } from '../io/helpers.js';

const tmp = testTempDir('medseg-overlap-');

/** numpy: cells covered by more than one box (inclusive coordinates, x = last axis). */
const BRUTE = `
import json, sys, numpy as np
out = []
for dim, boxes in json.loads(sys.stdin.read()):
    b = np.array(boxes, dtype=np.int64).reshape(-1, 2 * dim)
    hi = b[:, dim:].max(axis=0) + 1
    if dim == 2:
        c = np.zeros((hi[1], hi[0]), np.int32)
        for x0, y0, x1, y1 in b: c[y0:y1 + 1, x0:x1 + 1] += 1
    else:
        c = np.zeros((hi[2], hi[1], hi[0]), np.int32)
        for x0, y0, z0, x1, y1, z1 in b: c[z0:z1 + 1, y0:y1 + 1, x0:x1 + 1] += 1
    out.append(int((c > 1).sum()))
print(json.dumps(out))
`;
function brute(sets: [2 | 3, number[][]][]): number[] {
  return JSON.parse(execFileSync('python3', ['-c', BRUTE], { input: JSON.stringify(sets), encoding: 'utf8' })) as number[];
}

describe('box overlap', () => {
  it('equals a numpy cover count on seeded random boxes (2D and 3D) and hand-made edge cases', () => {
    let seed = 14;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const sets: [2 | 3, number[][]][] = [
      [2, [[0, 0, 9, 9], [10, 0, 19, 9]]], // touching, no overlap
      [2, [[0, 0, 9, 9], [9, 9, 19, 19]]], // one pixel
      [2, [[0, 0, 19, 19], [5, 5, 9, 9], [6, 6, 8, 8]]], // nested three deep: counted once
      [2, [[3, 4, 10, 12], [3, 4, 10, 12]]], // identical
      [3, [[0, 0, 0, 4, 4, 4], [4, 4, 4, 8, 8, 8]]], // one voxel
      [3, [[0, 0, 0, 9, 9, 2], [0, 0, 3, 9, 9, 5]]], // stacked slabs, no overlap
    ];
    for (let t = 0; t < 30; t++) {
      const dim = t % 2 === 0 ? 2 : 3;
      const n = 2 + rnd(t < 28 ? 12 : 120);
      const boxes = Array.from({ length: n }, () => {
        const lo = Array.from({ length: dim }, () => rnd(60));
        return [...lo, ...lo.map((v) => v + rnd(25))];
      });
      sets.push([dim, boxes]);
    }
    const want = brute(sets);
    expect(want.slice(0, 6)).toEqual([0, 1, 25, 72, 1, 0]);
    expect(sets.map(([dim, b]) => boxOverlap(b, dim))).toEqual(want);
    expect(want.filter((w) => w > 0).length).toBeGreaterThan(20);
  });

  it.skipIf(!HAVE_SHARED)('equals the numpy count on every real case of ../shared/cases/public', async () => {
    const dir = path.join(SHARED, 'cases', 'public', 'imgs');
    const files = readdirSync(dir).filter((f) => f.endsWith('.npz')).sort();
    const sets: [2 | 3, number[][]][] = [];
    for (const f of files) sets.push([f.startsWith('2D') ? 2 : 3, toRows((await readNpz(path.join(dir, f), ['boxes'])).boxes!)]);
    const want = brute(sets);
    expect(sets.map(([dim, b]) => boxOverlap(b, dim))).toEqual(want);
    expect(want.filter((w) => w > 0).length).toBeGreaterThanOrEqual(10); // real cases do overlap
  });

  it('cases validate warns with the count and the rule; bench run records both in the results', async () => {
    // a case set written by numpy: 2D boxes overlapping on 11 x 6 = 66 pixels, a 3D case without overlap
    python(`
import os, sys, numpy as np
d = sys.argv[1]
for s in ('imgs', 'gts'): os.makedirs(os.path.join(d, s))
rng = np.random.default_rng(3)
g = np.zeros((48, 64), np.uint8); g[8:18, 12:28] = 1; g[14:30, 22:40] = 2
np.savez_compressed(os.path.join(d, 'imgs', '2DBox_US_0001.npz'), imgs=rng.integers(0, 256, (48, 64, 3), dtype=np.uint8), boxes=np.array([[10, 5, 30, 20], [20, 15, 45, 35]]))
np.savez_compressed(os.path.join(d, 'gts', '2DBox_US_0001.npz'), gts=g)
v = np.zeros((6, 20, 24), np.uint8); v[1:5, 4:12, 3:10] = 1
np.savez_compressed(os.path.join(d, 'imgs', '3DBox_CT_0001.npz'), imgs=rng.integers(0, 256, (6, 20, 24), dtype=np.uint8), boxes=np.array([[2, 3, 1, 10, 12, 4]]), spacing=np.array([0.8, 0.8, 2.5]))
np.savez_compressed(os.path.join(d, 'gts', '3DBox_CT_0001.npz'), gts=v, spacing=np.array([0.8, 0.8, 2.5]))
`, [path.join(tmp, 'set')]);
    const imgs = (c: string) => path.join(tmp, 'set', 'imgs', `${c}.npz`);
    const problems = await validateCase(imgs('2DBox_US_0001'), path.join(tmp, 'set', 'gts', '2DBox_US_0001.npz'));
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    const w = problems.filter((p) => p.key === 'boxes');
    expect(w).toHaveLength(1);
    expect(w[0]!.severity).toBe('warning');
    expect(w[0]!.message).toBe(`boxes overlap: 66 pixels lie inside more than one box; ${BOX_OVERLAP_RULE}`);
    expect(w[0]!.message).toMatch(/later box wins/);
    expect(await validateCase(imgs('3DBox_CT_0001'))).toEqual([]);

    const oracle = loadVariants().find((v) => v.name === 'oracle')!;
    const out = path.join(tmp, 'run');
    const r = await runBenchmark({
      casesDir: path.join(tmp, 'set'), outDir: out, variants: [oracle], resume: false, repeat: 1, warmup: 0, mode: 'official',
      spacingOrder: 'as-stored', threads: 1, embeddingCache: true, command: ['test'],
    });
    expect(r.rows.map((x) => [x.case, x.status, x.box_overlap])).toEqual([
      ['2DBox_US_0001', 'ok', 66],
      ['3DBox_CT_0001', 'ok', 0],
    ]);
    const back = readRun(out);
    expect(back.cases.map((x) => x.box_overlap)).toEqual([66, 0]);
    expect(back.meta.box_overlap_rule).toBe(BOX_OVERLAP_RULE);
    expect(readFileSync(path.join(out, 'cases.csv'), 'utf8').split('\n')[0]).toMatch(/,box_overlap$/);
    // and the report says it under the accuracy table
    expect(buildModel(out).accuracyNotes).toContain(`Overlapping boxes in 1 case (pixels/voxels inside more than one box: 2DBox_US_0001 66); ${BOX_OVERLAP_RULE}.`);
  }, 120_000);
});

/**
 * The metrics kernels keep their optimised code across cases (src/metrics/retain.ts): `bench metrics --workers 1` on
 * the 72 public golden cases under `node --trace-opt --trace-deopt --trace-gc` runs full GCs after its kernels are
 * optimised, yet deoptimises no kernel because an object its code refers to was collected ("reason: weak objects"),
 * and still writes the official CSV. Without the retained instances those GCs deoptimise the kernels compiled against
 * the per-case classes (borderRow, wordRowRuns, the k-d tree's methods, RunBuilder.push, ...).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GOLDEN_DIR, HAVE_SHARED } from './golden-helpers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
/**
 * Metrics functions (names found nowhere else in the process) whose optimised code the full GCs of a golden run threw
 * away before the retained instances; generic method names (push, set, build, ...) are left out so that a function of
 * node's own cannot fail the test.
 */
const KERNELS = /<SharedFunctionInfo (borderRow|pixelRuns|wordRowRuns|wordRuns|LatticeKdTree|treeDistances|sideDistances|scanCornerRows|packFromRuns)>/;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!HAVE_SHARED)('optimised metrics kernels survive the full GCs of a run', () => {
  it('bench metrics on the golden folder: full GCs, no "weak objects" deoptimisation of a kernel, official CSV', () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrics-retain-'));
    dirs.push(dir);
    const csv = join(dir, 'metrics.csv');
    const args = ['--trace-opt', '--trace-deopt', '--trace-gc', join(ROOT, 'bin', 'bench.js'), 'metrics', '--gts', join(GOLDEN_DIR, 'gts'), '--segs', join(GOLDEN_DIR, 'segs'), '--workers', '1', '--csv', csv, '--quiet'];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(csv, 'utf8')).toBe(readFileSync(join(GOLDEN_DIR, 'official_metrics.csv'), 'utf8'));
    const out = r.stdout.split('\n');
    // the kernels were optimised and a full GC came after (so the check below can fail) ...
    const optimised = out.findIndex((l) => /completed optimizing .*<JSFunction borderRow /.test(l));
    expect(optimised).toBeGreaterThanOrEqual(0);
    for (const kernel of ['wordRowRuns', 'packFromRuns']) expect(r.stdout).toMatch(new RegExp(`completed optimizing [^\\n]*<JSFunction ${kernel} `));
    expect(out.slice(optimised).some((l) => l.includes('Mark-Compact'))).toBe(true);
    // ... and none of them was thrown away by a GC
    expect(out.filter((l) => l.includes('reason: weak objects') && KERNELS.test(l))).toEqual([]);
  });
});

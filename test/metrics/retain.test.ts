/**
 * The metrics kernels keep their optimised code across cases (src/metrics/retain.ts): `bench metrics` on the 72 public
 * golden cases under `node --trace-deopt` deoptimises no kernel because an object its code refers to was collected
 * ("reason: weak objects"), and still writes the official CSV. Without the retained instances the full GCs of that run
 * deoptimise 13-14 kernels (borderRow, RunBuilder.push, pixelRuns, the k-d tree's methods, ...).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOLDEN_DIR, HAVE_SHARED } from './golden-helpers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
/** Metrics functions whose optimised code the full GCs of a golden run threw away before the retained instances. */
const KERNELS = /<SharedFunctionInfo (borderRow|reserve|push|set|pixelRuns|wordRowRuns|wordRuns|LatticeKdTree|build|select|bound|leaf|nearest|treeDistances|sideDistances)>/;

describe.skipIf(!HAVE_SHARED)('optimised metrics kernels survive the full GCs of a run', () => {
  it('bench metrics on the golden folder: no "weak objects" deoptimisation of a kernel, official CSV', () => {
    const args = ['--trace-opt', '--trace-deopt', join(ROOT, 'bin', 'bench.js'), 'metrics', '--gts', join(GOLDEN_DIR, 'gts'), '--segs', join(GOLDEN_DIR, 'segs'), '--quiet'];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout.split('\n');
    // the V8 trace and the CSV share stdout: the CSV rows are those starting with a case name
    const csv = out.filter((l) => l === 'case,dsc,nsd' || /^[23]D_.*\.npz,/.test(l)).join('\n') + '\n';
    expect(csv).toBe(readFileSync(join(GOLDEN_DIR, 'official_metrics.csv'), 'utf8'));
    // the kernels were optimised (so the check below can fail) ...
    for (const kernel of ['borderRow', 'push', 'pixelRuns', 'nearest']) expect(r.stdout).toMatch(new RegExp(`completed optimizing [^\\n]*<JSFunction ${kernel} `));
    // ... and none was thrown away by a GC (node's own functions, e.g. its module loader's, may be)
    expect(out.filter((l) => l.includes('reason: weak objects') && KERNELS.test(l))).toEqual([]);
  });
});

/**
 * The gate on REAL results folders written live by `bench run` (built CLI): the oracle variant on copies of the 2D
 * demo cases, against a copy where the boxes of the Microscope case are shrunk by 3 pixels (a real accuracy
 * regression of a box-prompted model). The same folders with the real aug-int8 model as well are checked in
 * (fixtures/real-demo2d, tested in real-fixture.test.ts): running that model here would take minutes on a busy machine.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { benchSync, DEMO, ROOT } from '../bench-cli.js';
import type { GateVerdict } from '../../src/gate/verdict.js';
import { readRun } from '../../src/results/store.js';
import { makeCaseSet } from './caseset.js';
import { tempDir } from './helpers.js';

const SHRUNK_MODALITY = 'Microscope';
const VARIANTS = 'oracle';

function bench(...args: string[]) {
  const r = benchSync(args, { timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = tempDir('gate-real-');
const runs = { a1: path.join(dir, 'runs', 'a1'), a2: path.join(dir, 'runs', 'a2'), shrunk: path.join(dir, 'runs', 'shrunk') };
const baseline = path.join(dir, 'baseline.json');
let cases: string[] = [];

beforeAll(async () => {
  // dist/ is built once for all test files by test/global-setup.ts (vitest globalSetup)
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'run.js'))) throw new Error('dist/cli/run.js missing: the vitest globalSetup should have built dist/');
  cases = await makeCaseSet(DEMO, path.join(dir, 'set-a'), () => false, 3);
  await makeCaseSet(DEMO, path.join(dir, 'set-b'), (c) => c.startsWith(`2DBox_${SHRUNK_MODALITY}_`), 3);
  expect(cases.some((c) => c.startsWith(`2DBox_${SHRUNK_MODALITY}_`))).toBe(true);
  for (const [key, set] of [['a1', 'set-a'], ['a2', 'set-a'], ['shrunk', 'set-b']] as const) {
    const r = bench('run', '--cases', path.join(dir, set), '--variants', VARIANTS, '--out', runs[key], '--threads', '2', '--no-report');
    if (r.code !== 0) throw new Error(`bench run ${set} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  }
}, 600_000);

function gateJson(run: string, ...extra: string[]): { code: number | null; stdout: string; stderr: string; verdict: GateVerdict } {
  const js = path.join(dir, `verdict-${path.basename(run)}-${extra.join('_')}.json`);
  const r = bench('gate', run, '--baseline', baseline, '--json', js, ...extra);
  return { ...r, verdict: existsSync(js) ? (JSON.parse(readFileSync(js, 'utf8')) as GateVerdict) : (undefined as never) };
}

describe('bench gate on real bench run folders', () => {
  it('freezes run a1 as the baseline; a1 itself passes', () => {
    const u = bench('gate', '--update-baseline', runs.a1, '--baseline', baseline, '--time-reference', 'oracle');
    expect(u.code, u.stderr).toBe(0);
    const rows = readRun(runs.a1).cases;
    expect(rows.length).toBe(cases.length);
    expect(rows.every((r) => r.status === 'ok')).toBe(true);
    const g = gateJson(runs.a1);
    expect(g.code, g.stdout + g.stderr).toBe(0);
    expect(g.verdict.failures).toEqual([]);
  });

  it('a second real run of the same cases has identical accuracy and passes', () => {
    const g = gateJson(runs.a2, '--verbose');
    expect(g.code, g.stdout + g.stderr).toBe(0);
    expect(g.verdict.failures).toEqual([]);
    for (const v of g.verdict.variants) for (const m of [...v.modalities, v.average]) expect([m.dsc.delta, m.nsd.delta]).toEqual([0, 0]);
    // the only variant is the time reference: skipped with a note
    expect(g.stdout).toMatch(/not judged: "oracle" is the time reference/);
  });

  it(`boxes shrunk by 3 px on the ${SHRUNK_MODALITY} case fail on DSC naming ${SHRUNK_MODALITY}, exit 1`, () => {
    const g = gateJson(runs.shrunk);
    expect(g.code, g.stderr).toBe(1);
    const acc = g.verdict.failures.filter((f) => f.kind === 'accuracy');
    expect(acc.map((f) => [f.variant, f.modality, f.metric])).toContainEqual(['oracle', SHRUNK_MODALITY, 'dsc']);
    for (const f of acc) expect([SHRUNK_MODALITY, 'Average']).toContain(f.modality);
    // the other modalities got identical inputs: identical predictions and numbers
    for (const v of g.verdict.variants)
      for (const m of v.modalities.filter((x) => x.modality !== SHRUNK_MODALITY)) expect([m.dsc.delta, m.nsd.delta]).toEqual([0, 0]);
    // the failure's delta is the per-case delta of the results folders (one Microscope case in the demo set)
    const a = readRun(runs.a1).cases;
    const b = readRun(runs.shrunk).cases;
    for (const variant of ['oracle']) {
      const mic = (rows: typeof a) => rows.filter((r) => r.variant === variant && r.modality === SHRUNK_MODALITY);
      const expected = mic(b).reduce((s, r) => s + r.dsc, 0) / mic(b).length - mic(a).reduce((s, r) => s + r.dsc, 0) / mic(a).length;
      expect(acc.find((f) => f.variant === variant && f.modality === SHRUNK_MODALITY && f.metric === 'dsc')!.delta).toBeCloseTo(expected, 12);
    }
    expect(g.stdout).toMatch(new RegExp(`- oracle: DSC on ${SHRUNK_MODALITY} dropped`));
    expect(g.stdout).toMatch(/Cases that dropped most/);
  });
});

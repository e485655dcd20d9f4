/**
 * Integration tests of `bench run` through the built CLI on real demo cases: the oracle variant and a real INT8
 * variant, every file of the results folder checked; a run killed midway and finished with --resume.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpz } from '../../src/io/npz.js';
import { scoreCase } from '../../src/metrics/score.js';
import { CASE_COLUMNS, LABEL_COLUMNS, readRun } from '../../src/results/store.js';
import { SHARED } from '../shared.js';
import { benchSpawn, benchSync, DEMO, testTempDir } from '../bench-cli.js';

// Real-model inference is the slow part (about 0.7 s per encoder call on 2 cores): two small 2D cases here; the 3D
// path of bench run is covered by the resume test below (oracle on 3DBox_MR_0101) and by test/runner.
const CASES = ['2DBox_US_0001', '2DBox_X-Ray_0001'];

// one intra-op thread: vitest runs two test files at once on this 2-core machine
function bench(args: string[]) {
  if (args[0] === 'run') args = [...args, '--threads', '1'];
  return benchSync(args, { env: { CI: 'true' } });
}

describe('bench run: oracle + aug-int8 on demo cases', () => {
  const out = path.join(testTempDir('medseg-run-'), 'run');
  let res: ReturnType<typeof bench>;
  beforeAll(() => {
    res = bench(['run', '--variants', 'oracle,aug-int8', '--filter', CASES.join(','), '--out', out, '--repeat', '2']);
  }, 600_000);

  it('exits 0 and prints both tables', () => {
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/Accuracy per modality/);
    expect(res.stdout).toMatch(/Running time per case/);
    expect(res.stdout).toMatch(/2DBox_X-Ray_0001/);
  });

  it('writes run.json with the metadata', () => {
    const meta = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(meta.finished_at).toBeTruthy();
    expect(meta.metrics).toEqual({ mode: 'official', tolerance_mm: 2, spacing_order: 'as-stored' });
    expect(meta.timing.repeat).toBe(2);
    expect(meta.versions.onnxruntime).toBe('1.30.0');
    expect(meta.machine.cores).toBeGreaterThan(0);
    expect(meta.variants.map((v: { name: string }) => v.name)).toEqual(['oracle', 'aug-int8']);
    const int8 = meta.variants[1];
    expect(int8.load_time_s).toBeGreaterThan(0);
    expect(int8.models.map((m: { sha256: string }) => m.sha256)).toEqual([
      '9548cbf38a2198e06b43bb6ed7a121ac1e4593089f26d0b0ab9747c0edc924b0',
      '0ead1896cc8f9cdbc6812d10ae7cf8c6158460bf0d2980ebc958f8a00b33666c',
    ]);
  });

  it('writes one cases.csv row per variant x case with the documented columns, scores equal to an independent re-score', async () => {
    const header = readFileSync(path.join(out, 'cases.csv'), 'utf8').split('\n')[0];
    expect(header).toBe(CASE_COLUMNS.join(','));
    const run = readRun(out);
    expect(run.cases.map((r) => `${r.variant}/${r.case}`).sort()).toEqual(
      ['oracle', 'aug-int8'].flatMap((v) => CASES.map((c) => `${v}/${c}`)).sort(),
    );
    for (const r of run.cases) {
      expect(r.status, r.error).toBe('ok');
      expect(r.repeats).toBe(2);
      expect(r.time_s_min).toBeLessThanOrEqual(r.time_s);
      expect(r.time_s).toBeLessThanOrEqual(r.time_s_max);
      expect(r.time_s_cold).toBeGreaterThan(0);
      expect(r.encoder_calls).toBeGreaterThan(0);
      const segs = path.join(out, 'segs', r.variant, `${r.case}.npz`);
      const s = await scoreCase(path.join(DEMO, 'gts', `${r.case}.npz`), segs);
      expect(s.status).toBe('ok');
      expect(r.dsc).toBe(s.dsc);
      expect(r.nsd).toBe(s.nsd);
    }
    const xray = run.cases.find((r) => r.variant === 'aug-int8' && r.case === '2DBox_X-Ray_0001')!;
    expect(xray.encoder_calls).toBe(1);
    expect(xray.decoder_calls).toBe(2);
    expect(xray.shape).toBe('(512, 512, 3)');
    expect(xray.n_objects).toBe(2);
  });

  it('the oracle segs equal the golden end-to-end segs where ../shared is present', async () => {
    const golden = path.join(SHARED, 'golden', 'pipeline', 'e2e', 'segs');
    if (!existsSync(golden)) {
      console.warn('!!! ../shared/golden/pipeline missing: oracle-vs-golden comparison SKIPPED');
      return;
    }
    for (const c of CASES) {
      const a = (await readNpz(path.join(out, 'segs', 'oracle', `${c}.npz`)))['segs']!;
      const b = (await readNpz(path.join(golden, `${c}.npz`)))['segs']!;
      expect(a.shape).toEqual(b.shape);
      let diff = 0;
      for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) diff++;
      expect(diff).toBeLessThanOrEqual(5);
    }
  });

  it('writes labels.csv rows for every evaluated label, segs files, logs and the report', () => {
    const header = readFileSync(path.join(out, 'labels.csv'), 'utf8').split('\n')[0];
    expect(header).toBe(LABEL_COLUMNS.join(','));
    const run = readRun(out);
    const xrayLabels = run.labels.filter((l) => l.variant === 'oracle' && l.case === '2DBox_X-Ray_0001');
    expect(xrayLabels.map((l) => l.label)).toEqual([1, 2]);
    const rows = run.cases.filter((r) => r.case === '2DBox_X-Ray_0001');
    for (const r of rows) {
      const ls = run.labels.filter((l) => l.variant === r.variant && l.case === r.case);
      expect((ls[0]!.dsc + ls[1]!.dsc) / 2).toBeCloseTo(r.dsc, 15);
    }
    for (const v of ['oracle', 'aug-int8']) expect(readdirSync(path.join(out, 'segs', v)).sort()).toEqual(CASES.map((c) => `${c}.npz`));
    expect(readFileSync(path.join(out, 'logs', 'run.log'), 'utf8')).toMatch(/aug-int8 2DBox_X-Ray_0001: dsc=/);
    for (const f of ['report.md', 'report.html', 'accuracy.tex', 'time.tex', 'accuracy_dsc.png', 'time_per_case.png']) {
      expect(existsSync(path.join(out, 'report', f)), f).toBe(true);
    }
  });

  it('the real model scores are stable run to run (a second run gives identical DSC/NSD)', () => {
    const out2 = path.join(path.dirname(out), 'run2');
    const r2 = bench(['run', '--variants', 'aug-int8', '--filter', CASES.join(','), '--out', out2, '--no-report']);
    expect(r2.status, r2.stderr).toBe(0);
    const a = readRun(out).cases.filter((r) => r.variant === 'aug-int8');
    const b = readRun(out2).cases;
    expect(b.map((r) => [r.case, r.dsc, r.nsd])).toEqual(a.map((r) => [r.case, r.dsc, r.nsd]));
  }, 300_000);
});

describe('bench run: a killed run finishes with --resume, identical numbers, no duplicate rows', () => {
  const dir = testTempDir('medseg-resume-');
  const full = path.join(dir, 'full');
  const killed = path.join(dir, 'killed');
  const args = ['--variants', 'oracle', '--filter', '2DBox_*,3DBox_MR_0101', '--no-report'];

  it('kill after the first finished case, then resume', async () => {
    const ref = bench(['run', ...args, '--out', full]);
    expect(ref.status, ref.stderr).toBe(0);
    const child = benchSpawn(['run', ...args, '--out', killed, '--threads', '1'], { env: { CI: 'true' } });
    const casesCsv = path.join(killed, 'cases.csv');
    const rowsOnDisk = () => (existsSync(casesCsv) ? readFileSync(casesCsv, 'utf8').trim().split('\n').length - 1 : 0);
    const exited = new Promise((r) => child.on('exit', r));
    for (let i = 0; i < 600 && rowsOnDisk() < 2; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const before = rowsOnDisk();
    expect(before).toBeGreaterThanOrEqual(2);
    expect(before).toBeLessThan(8); // killed midway: 8 cases in all
    const res = bench(['run', ...args, '--out', killed, '--resume']);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/already done \(resume\)/);
    // the closing lines say that the time is this session's, and give no share of it (it was 536% before)
    expect(res.stdout).toMatch(/rows, 0 failed, [\d.]+ s in this resumed session\)/);
    expect(res.stdout).not.toMatch(/% of the/);
    const a = readRun(full).cases;
    const b = readRun(killed).cases;
    const lines = readFileSync(casesCsv, 'utf8').trim().split('\n').slice(1);
    const keys = lines.map((l) => l.split(',').slice(0, 2).join('/'));
    expect(new Set(keys).size).toBe(keys.length);
    expect(b.map((r) => [r.case, r.status, r.dsc, r.nsd])).toEqual(a.map((r) => [r.case, r.status, r.dsc, r.nsd]));
    expect(readRun(killed).labels.length).toBe(readRun(full).labels.length);
    expect(JSON.parse(readFileSync(path.join(killed, 'run.json'), 'utf8')).options.resumed_at).toHaveLength(1);
    expect(existsSync(path.join(killed, 'run.lock'))).toBe(false);
  }, 300_000);

  it('resume drops a partial last row and re-runs a case whose segs file is unreadable, keeping one row per case', () => {
    const csv = path.join(killed, 'cases.csv');
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    const victim = lines[3]!.split(',')[1]!;
    writeFileSync(path.join(killed, 'segs', 'oracle', `${victim}.npz`), 'not a zip');
    appendFileSync(csv, 'oracle,2DBox_Fundus_0001,Fundus,2,"(1762, 2048'); // a write cut short by a kill
    const res = bench(['run', ...args, '--out', killed, '--resume']);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toContain(`oracle ${victim} dsc=`);
    expect(res.stderr).toContain(`--resume: ${csv}: line ${lines.length + 1} is a truncated record`);
    const after = readFileSync(csv, 'utf8').trim().split('\n');
    expect(after.length).toBe(lines.length);
    const byCase = (rows: { case: string; dsc: number; nsd: number }[]) => rows.map((r) => [r.case, r.dsc, r.nsd]).sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    expect(byCase(readRun(killed).cases)).toEqual(byCase(readRun(full).cases));
    expect(readRun(killed).labels.length).toBe(readRun(full).labels.length);
  }, 300_000);

  it('refuses to resume with other settings and to write a folder that holds a run', () => {
    const other = bench(['run', ...args, '--out', killed, '--resume', '--repeat', '2']);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/was started with --repeat 1, not 2/);
    const again = bench(['run', ...args, '--out', killed]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already holds a run/);
    // without the original options, the stored ones are reused: the 8-case run stays 8 cases (not the 9 demo cases)
    const bare = bench(['run', '--out', killed, '--resume']);
    expect(bare.status, bare.stderr).toBe(0);
    expect(bare.stderr).toMatch(/8 cases x 1 variants \(oracle\).*resuming with the stored options/);
    expect(readRun(killed).cases).toHaveLength(8);
    const widened = bench(['run', '--out', killed, '--resume', '--filter', '2DBox_*', '--variants', 'oracle,aug-int8']);
    expect(widened.status).toBe(2);
    expect(widened.stderr).toMatch(/--variants oracle, not oracle,aug-int8; --filter "2DBox_\*,3DBox_MR_0101", not "2DBox_\*"/);
  }, 300_000);
});

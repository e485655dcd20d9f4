/**
 * `bench gate` says why time was not judged (a different host fingerprint / CPU, not "--skip-time" when that flag was
 * not given), and `--update-baseline RUN --baseline <a folder>` fails with a clear error naming the path and leaves
 * nothing behind (no temp file in or beside the folder).
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchSync, FIXTURE, testTempDir } from '../bench-cli.js';


const tmp = testTempDir('medseg-gate-errors-');

describe('bench gate on another CPU', () => {
  it('says time was not judged because of the different host, not because of --skip-time', () => {
    const baseline = path.join(tmp, 'baseline.json');
    expect(benchSync(['gate', '--update-baseline', FIXTURE, '--baseline', baseline]).status).toBe(0);
    const run = path.join(tmp, 'other-cpu');
    cpSync(FIXTURE, run, { recursive: true });
    const meta = JSON.parse(readFileSync(path.join(run, 'run.json'), 'utf8'));
    meta.machine.cpu_model = 'AMD EPYC 7763 64-Core Processor';
    writeFileSync(path.join(run, 'run.json'), JSON.stringify(meta, null, 2));
    const md = path.join(tmp, 'gate.md');
    // --allow-failures: the fixture's aug_int8 has a failed case (OOM), not what this test is about
    const r = benchSync(['gate', run, '--baseline', baseline, '--markdown', md, '--allow-failures']);
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(md, 'utf8');
    expect(text).not.toMatch(/--skip-time/);
    expect(text).toMatch(/time not judged \(different host fingerprint \/ CPU: the run was timed on AMD EPYC/);
    // with --skip-time given, the flag is the reason
    const r2 = benchSync(['gate', run, '--baseline', baseline, '--markdown', md, '--allow-failures', '--skip-time']);
    expect(r2.status, r2.stderr).toBe(0);
    expect(readFileSync(md, 'utf8')).toMatch(/time not judged \(--skip-time\)/);
  });
});

describe('bench gate --update-baseline into a folder', () => {
  it('fails with an error naming the path and leaves no temp file', () => {
    const dir = path.join(tmp, 'base-dir');
    mkdirSync(dir);
    const r = benchSync(['gate', '--update-baseline', FIXTURE, '--baseline', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--baseline ${dir}: is a folder, expected a file`);
    expect(r.stderr).not.toMatch(/EISDIR|rename/);
    expect(readdirSync(dir)).toEqual([]);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp'))).toEqual([]);
  });
});

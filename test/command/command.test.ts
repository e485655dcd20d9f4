/**
 * `command` variant: a real Python predictor (test/command/fixtures/predictor.py) run under the challenge folder
 * protocol on real cases; faults recorded with the right failure and the next case still running.
 * These tests always run (no container engine needed).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../bench-cli.js';
import { readNpz } from '../../src/io/npz.js';
import { calibrateOverhead } from '../../src/runner/calibrate.js';
import { CommandRunner } from '../../src/runner/command.js';
import { CaseRunError } from '../../src/runner/types.js';
import { CommandVariantSchema } from '../../src/runner/variants.js';
import { boxFill, caseFile, CASES_2D_3D } from './helpers.js';

const PREDICTOR = path.join(import.meta.dirname, 'fixtures', 'predictor.py');
const tmp = testTempDir('medseg-cmd-test-');
const logDir = path.join(tmp, 'logs');

function runner(name: string, mode: string, extra: Record<string, unknown> = {}): CommandRunner {
  return new CommandRunner(
    CommandVariantSchema.parse({ name, kind: 'command', command: ['python3', PREDICTOR, mode, '{inputs}', '{outputs}'], ...extra }),
  );
}

async function expectFailure(p: Promise<unknown>, failure: string, message: RegExp): Promise<CaseRunError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, `expected a CaseRunError (${failure})`).toBeInstanceOf(CaseRunError);
  const err = e as CaseRunError;
  expect(err.outcome.details?.failure).toBe(failure);
  expect(err.message).toMatch(message);
  return err;
}

describe('command variant (real subprocess, real npz)', () => {
  it('runs a real predictor on a 2D and a 3D case: output validated, moved, logs saved, time and memory recorded', async () => {
    const r = runner('box-cmd', 'ok');
    const prep = await r.prepare();
    expect(prep.loadTimeS).toBe(0);
    for (const name of CASES_2D_3D) {
      const out = path.join(tmp, 'segs', 'box-cmd', `${name}.npz`);
      const o = await r.runCase(caseFile(name), out, { caseName: name, logDir });
      expect(o.exitCode).toBe(0);
      expect(o.timeS).toBeGreaterThan(0);
      expect(o.peakRssMb).toBeGreaterThan(5);
      const segs = (await readNpz(out)).segs!;
      const expected = await boxFill(caseFile(name));
      expect(segs.shape).toEqual(expected.shape);
      expect(Buffer.from(segs.data.buffer, segs.data.byteOffset, segs.data.byteLength).equals(Buffer.from(expected.data))).toBe(true);
      const stdout = readFileSync(path.join(logDir, 'box-cmd', `${name}.stdout.log`), 'utf8');
      // the predictor saw exactly one case in a fresh inputs/ folder
      expect(stdout).toContain(`cases=['${name}.npz']`);
    }
  });

  it('passes INPUTS_DIR / OUTPUTS_DIR in the environment when argv has no placeholders', async () => {
    const r = new CommandRunner(CommandVariantSchema.parse({ name: 'env-cmd', kind: 'command', command: ['python3', PREDICTOR, 'ok'] }));
    await r.prepare();
    const name = CASES_2D_3D[0]!;
    const out = path.join(tmp, 'segs', 'env-cmd', `${name}.npz`);
    await r.runCase(caseFile(name), out, { caseName: name, logDir });
    expect(existsSync(out)).toBe(true);
  });

  it('each fault is recorded with its failure, and the next case still runs', async () => {
    const name = CASES_2D_3D[0]!;
    const good = runner('good', 'ok');
    const faults: Array<[string, string, RegExp, Record<string, unknown>?]> = [
      ['exit3', 'nonzero-exit', /predictor exited with code 3 \(see fault-exit3\/2DBox_\w+\.stderr\.log\): simulated failure$/],
      ['noout', 'no-output', /no output: outputs\/2DBox_\w+\.npz was not written \(outputs\/ holds nothing\)/],
      ['wrongshape', 'bad-output', /key 'segs': expected shape \(\d+, \d+\) \(the spatial shape of imgs\), found \(7, 5\)/],
      ['float', 'bad-output', /key 'segs': expected an integer dtype, found float32/],
      ['nokey', 'bad-output', /'segs'.*masks/],
      ['sleep', 'timeout', /timeout: predictor exceeded 1.5 s and its process tree was killed/, { timeoutS: 1.5 }],
    ];
    for (const [mode, failure, message, extra] of faults) {
      const r = runner(`fault-${mode}`, mode, extra);
      await r.prepare();
      const out = path.join(tmp, 'segs', `fault-${mode}`, `${name}.npz`);
      const err = await expectFailure(r.runCase(caseFile(name), out, { caseName: name, logDir }), failure, message);
      expect(existsSync(out), `${mode}: no segs file must be left`).toBe(false);
      expect(err.outcome.timeS).toBeGreaterThan(0);
      if (mode === 'exit3') {
        expect(err.outcome.exitCode).toBe(3);
        expect(readFileSync(path.join(logDir, 'fault-exit3', `${name}.stderr.log`), 'utf8')).toContain('simulated failure');
      }
      if (mode === 'sleep') {
        expect(err.outcome.timeS).toBeGreaterThanOrEqual(1.4);
        expect(err.outcome.timeS).toBeLessThan(10);
        // the grandchild `sleep 31.4159` was killed with the tree: gone well before its 31 s (a SIGKILLed task still
        // has to be scheduled to exit, which takes more than 200 ms on a loaded machine: poll up to 5 s)
        const survivors = () =>
          readdirSync('/proc')
            .filter((p) => /^\d+$/.test(p))
            .filter((p) => {
              try {
                return readFileSync(`/proc/${p}/cmdline`, 'latin1').includes('31.4159');
              } catch {
                return false;
              }
            });
        for (let i = 0; i < 50 && survivors().length > 0; i++) await new Promise((res) => setTimeout(res, 100));
        expect(survivors()).toEqual([]);
      }
      // the run continues: the next case with a working predictor succeeds
      const goodOut = path.join(tmp, 'segs', 'good', `${name}-after-${mode}.npz`);
      const o = await good.runCase(caseFile(name), goodOut, { caseName: name, logDir });
      expect(o.exitCode).toBe(0);
      expect(existsSync(goodOut)).toBe(true);
    }
  });

  it('records the peak memory of the whole process tree (a child allocating 300 MiB)', async () => {
    const r = runner('mem-cmd', 'mem');
    await r.prepare();
    const name = CASES_2D_3D[0]!;
    const o = await r.runCase(caseFile(name), path.join(tmp, 'segs', 'mem', `${name}.npz`), { caseName: name, logDir });
    expect(o.peakRssMb).toBeGreaterThan(300);
    expect(o.details?.processes).toBeGreaterThanOrEqual(2);
  });

  it('prepare() refuses a missing executable or cwd with a clear message', async () => {
    const r1 = new CommandRunner(CommandVariantSchema.parse({ name: 'x', kind: 'command', command: ['no-such-predictor-xyz'] }));
    await expect(r1.prepare()).rejects.toThrow(/variant "x": command "no-such-predictor-xyz" is not an executable file on PATH/);
    const r2 = new CommandRunner(CommandVariantSchema.parse({ name: 'y', kind: 'command', command: ['true'], cwd: '/no/such/dir' }));
    await expect(r2.prepare()).rejects.toThrow(/variant "y": cwd \/no\/such\/dir is not a folder/);
  });

  it('calibrates the subprocess overhead (median of no-op runs)', async () => {
    const c = await runner('cmd', 'ok').calibrate(3);
    expect(c.runs).toBe(3);
    expect(c.times_s).toHaveLength(3);
    expect(c.median_s).toBeGreaterThan(0);
    expect(c.median_s).toBeLessThanOrEqual(c.max_s);
    const r = runner('cal', 'ok');
    const c2 = await calibrateOverhead(r, 3);
    expect(c2?.kind).toBe('command');
    console.log(`command no-op overhead: median ${c.median_s.toFixed(4)} s over ${c.runs} runs`);
  });
});

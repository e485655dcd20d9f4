/**
 * `command` variant: predictors that leave processes behind. A background child started with `setsid` (its own
 * session and process group) that keeps the predictor's stdout/stderr open must neither hang the case nor turn a
 * successful prediction into a timeout; whatever the predictor leaves behind is killed, including double-forked
 * daemons (reparented away from the predictor) at a timeout. Real subprocesses, real npz.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../bench-cli.js';
import { alive } from '../tools.js';
import { CommandRunner } from '../../src/runner/command.js';
import { CaseRunError } from '../../src/runner/types.js';
import { CommandVariantSchema } from '../../src/runner/variants.js';
import { caseFile, CASES_2D_3D } from './helpers.js';

const PREDICTOR = path.join(import.meta.dirname, 'fixtures', 'predictor.py');
const tmp = testTempDir('medseg-straggler-test-');
const logDir = path.join(tmp, 'logs');

function bashRunner(name: string, script: string, timeoutS: number): CommandRunner {
  return new CommandRunner(
    CommandVariantSchema.parse({ name, kind: 'command', command: ['bash', '-c', script, 'predictor', '{inputs}', '{outputs}'], timeoutS }),
  );
}

const HAVE_SETSID = existsSync('/usr/bin/setsid') || existsSync('/bin/setsid');

describe.skipIf(!HAVE_SETSID)('command predictors that leave processes behind', () => {
  const name = CASES_2D_3D[0]!;

  it('a setsid background child holding stdout/stderr: the case ends when the predictor exits, is scored, and the child is killed', async () => {
    const marker = '27.18281';
    // the predictor writes a valid output, starts a daemon in its own session that inherits stdout/stderr, exits 0
    const r = bashRunner('setsid-bg', `python3 ${PREDICTOR} ok "$1" "$2" && { setsid sleep ${marker} & } ; exit 0`, 20);
    await r.prepare();
    const out = path.join(tmp, 'segs', `${name}.npz`);
    const t0 = performance.now();
    const o = await r.runCase(caseFile(name), out, { caseName: name, logDir });
    const wallS = (performance.now() - t0) / 1e3;
    expect(o.exitCode).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(wallS, 'the case must end at the predictor exit, not when the daemon closes stdout').toBeLessThan(15);
    expect(o.timeS).toBeLessThan(15);
    await new Promise((res) => setTimeout(res, 200));
    expect(alive(marker), 'the setsid child must not survive the case').toEqual([]);
    await r.dispose();
  }, 60_000);

  it('a double-forked daemon in its own session does not survive a timeout', async () => {
    const marker = '29.97924';
    // the daemon: a subshell that starts `setsid sleep` and exits at once, so the sleep is reparented away
    const r = bashRunner('double-fork', `( setsid sleep ${marker} >/dev/null 2>&1 & ) ; sleep 60`, 1.5);
    await r.prepare();
    const out = path.join(tmp, 'segs', `df-${name}.npz`);
    const t0 = performance.now();
    const err = await r.runCase(caseFile(name), out, { caseName: name, logDir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CaseRunError);
    expect((err as CaseRunError).outcome.details?.failure).toBe('timeout');
    expect((performance.now() - t0) / 1e3).toBeLessThan(15);
    await new Promise((res) => setTimeout(res, 200));
    expect(alive(marker), 'the double-forked daemon must be killed at the timeout').toEqual([]);
    await r.dispose();
  }, 60_000);
});

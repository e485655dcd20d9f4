/**
 * Ctrl-C and SIGTERM during `bench run` go through dispose: the run's lock is released, the command predictor's
 * process tree (including a setsid child) is killed and its temporary case folder removed, and the exit status is
 * 128 + the signal (130, 143). A real `bench run` process with a real command variant on a real case.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchSpawn, testTempDir } from '../bench-cli.js';
import { alive } from '../tools.js';
import { CASES_DIR, CASES_2D_3D } from '../command/helpers.js';

const tmp = testTempDir('medseg-interrupt-test-');

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

describe('interrupting bench run', () => {
  for (const [signal, code, marker] of [
    ['SIGTERM', 143, '41.31415'],
    ['SIGINT', 130, '42.71828'],
  ] as const) {
    it(`${signal}: lock released, predictor tree killed, temp case folder removed, exit ${code}`, async () => {
      const variantName = `sleepy-${signal.toLowerCase()}`;
      const variantsFile = path.join(tmp, `${variantName}.json`);
      // the predictor sleeps in the foreground and leaves a setsid child: both must go on the interrupt
      writeFileSync(
        variantsFile,
        JSON.stringify({
          variants: [
            { name: variantName, kind: 'command', command: ['bash', '-c', `{ setsid sleep ${marker}9 & } ; sleep ${marker}`, 'p', '{inputs}', '{outputs}'], timeoutS: 300 },
          ],
        }),
      );
      const out = path.join(tmp, `run-${signal}`);
      const name = CASES_2D_3D[0]!;
      const before = new Set(readdirSync(os.tmpdir()).filter((d) => d.startsWith(`medseg-${variantName}-`)));
      const child = benchSpawn(
        ['run', '--cases', CASES_DIR, '--variants-file', variantsFile, '--variants', variantName, '--filter', name, '--out', out, '--no-report'],
        { env: { CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
      expect(await waitFor(() => alive(marker).length >= 2, 60_000), `the predictor did not start: ${stderr}`).toBe(true);
      expect(existsSync(path.join(out, 'run.lock'))).toBe(true);
      child.kill(signal);
      const t0 = Date.now();
      const status = await exited;
      expect(Date.now() - t0, 'cleanup must be quick').toBeLessThan(20_000);
      expect(status, stderr).toBe(code);
      expect(stderr).toMatch(/interrupted: finished cases are saved/);
      expect(existsSync(path.join(out, 'run.lock')), 'run.lock must be released').toBe(false);
      await new Promise((r) => setTimeout(r, 300));
      expect(alive(marker), 'no predictor process may survive').toEqual([]);
      const left = readdirSync(os.tmpdir()).filter((d) => d.startsWith(`medseg-${variantName}-`) && !before.has(d));
      expect(left, 'the temporary case folder must be removed').toEqual([]);
    }, 120_000);
  }
});

/**
 * Running the `bench` command line from tests: the built bin/bench.js (dist/ is built by test/global-setup.ts), from
 * the repository root, as a user runs it. One definition for the test files that spawn it synchronously.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const BENCH = path.join(ROOT, 'bin', 'bench.js');
/** A small finished results folder (3 variants, 8 cases) used by the report, rank and gate tests. */
export const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'results-small');

/**
 * `node bin/bench.js ...args` to its end (cwd: the repository root).
 * @param opts.timeout milliseconds before the process is killed (default: none)
 */
export function benchSync(args: string[], opts: { timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BENCH, ...args], { cwd: ROOT, encoding: 'utf8', ...(opts.timeout ? { timeout: opts.timeout } : {}) });
}

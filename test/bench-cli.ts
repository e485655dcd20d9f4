/**
 * Running the `bench` command line from tests: the built bin/bench.js (dist/ is built by test/global-setup.ts), from
 * the repository root, as a user runs it. One definition for the test files that spawn it; with {@link testTempDir}
 * for the temp folder every such file needs.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns, type StdioOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const BENCH = path.join(ROOT, 'bin', 'bench.js');
/** A small finished results folder (3 variants, 8 cases) used by the report, rank and gate tests. */
export const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'results-small');
/** The bundled demo case set (cases/demo: imgs/ and gts/). */
export const DEMO = path.join(ROOT, 'cases', 'demo');

/** Options of {@link benchSync} / {@link benchSpawn}. */
export interface BenchOptions {
  /** milliseconds before the process is killed (default: none) */
  timeout?: number;
  /** variables set on top of this process's environment; `undefined` removes one (e.g. GITHUB_STEP_SUMMARY) */
  env?: Record<string, string | undefined>;
  /** node options before bin/bench.js (e.g. `--import` of a tracer) */
  nodeArgs?: string[];
}

function envOf(extra: BenchOptions['env']): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** `node bin/bench.js ...args` to its end (cwd: the repository root). */
export function benchSync(args: string[], opts: BenchOptions = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [...(opts.nodeArgs ?? []), BENCH, ...args], {
    cwd: ROOT, encoding: 'utf8', env: envOf(opts.env), ...(opts.timeout ? { timeout: opts.timeout } : {}),
  });
}

/** `node bin/bench.js ...args` started in the background (to be killed or awaited by the test). */
export function benchSpawn(args: string[], opts: BenchOptions & { stdio?: StdioOptions } = {}): ChildProcess {
  return spawn(process.execPath, [...(opts.nodeArgs ?? []), BENCH, ...args], { cwd: ROOT, env: envOf(opts.env), stdio: opts.stdio ?? 'ignore' });
}

/** A fresh temp folder for this test file, removed after its tests (`afterAll`). Call at the top of the file. */
export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

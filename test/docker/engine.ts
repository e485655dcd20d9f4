/**
 * Docker test helpers: find a real engine (DOCKER_HOST, else the private engine of .ci/docker-start.sh, else the
 * system socket) and build the test images offline with the scripts in docker/.
 * When no engine answers, callers skip their suites LOUDLY (console.warn + describe.skip with the reason).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { pingDocker } from '../../src/runner/docker-engine.js';

export const REPO = path.resolve(import.meta.dirname, '..', '..');

export type EngineProbe = { ok: true; version: string; host: string } | { ok: false; reason: string };

/**
 * Looks for a running engine. Sets process.env.DOCKER_HOST to the private engine's socket when DOCKER_HOST is unset
 * and /tmp/medseg-dockerd/docker.sock (default state of .ci/docker-start.sh) exists.
 */
export async function probeEngine(): Promise<EngineProbe> {
  if (!process.env.DOCKER_HOST) {
    const priv = path.join(process.env.MEDSEG_DOCKER_STATE ?? '/tmp/medseg-dockerd', 'docker.sock');
    if (existsSync(priv)) process.env.DOCKER_HOST = `unix://${priv}`;
  }
  const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  try {
    const version = await Promise.race([
      pingDocker(),
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no answer within 10 s')), 10_000).unref()),
    ]);
    return { ok: true, version, host };
  } catch (e) {
    return { ok: false, reason: `no Docker engine at ${host}: ${(e as Error).message}` };
  }
}

/** Prints the loud skip banner. */
export function warnSkipped(suite: string, reason: string): void {
  const line = '!'.repeat(100);
  console.warn(`\n${line}\n!!! DOCKER TESTS SKIPPED (${suite}): ${reason}\n!!! start an engine with: eval "$(.ci/docker-start.sh)"\n${line}\n`);
}

/** Runs docker/<script> with args; returns its stderr (the build summary line). @throws on failure. */
export async function buildImage(script: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await execa('bash', [path.join(REPO, 'docker', script), ...args], { env, all: true, reject: false });
  if (r.exitCode !== 0) throw new Error(`docker/${script} ${args.join(' ')} failed (exit ${r.exitCode}):\n${r.all}`);
  return String(r.stderr);
}

/** Facts about the machine and the harness recorded in every run.json. */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../runner/variants.js';

const require = createRequire(import.meta.url);

/** CPU model, core count, memory (GiB), platform. */
export function machineFacts(): { cpu_model: string; cores: number; memory_gb: number; platform: string; arch: string } {
  const cpus = os.cpus();
  return {
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
  };
}

/** Versions of node, onnxruntime-node and the harness. */
export function versionFacts(): Record<string, string> {
  const read = (p: string) => {
    try {
      return (require(p) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  };
  return { node: process.version, onnxruntime: read('onnxruntime-node/package.json'), 'medseg-bench': read(path.join(REPO_ROOT, 'package.json')) };
}

/** The harness's git commit (with `-dirty` when the work tree has changes), or null outside a checkout. */
export function gitCommit(): string | null {
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return null;
  }
}

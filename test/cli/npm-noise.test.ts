/**
 * `npx bench ...` prints only bench's own output (no "npm warn Unknown project config" line), while npm still
 * hands onnxruntime-node's install script the skip setting of .npmrc (no CUDA download on `npm ci`).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const npx = (args: string[]) => spawnSync('npx', ['--no-install', ...args], { cwd: ROOT, encoding: 'utf8' });

describe('npm noise', () => {
  it('npx bench --version prints the version and nothing on stderr', () => {
    const r = npx(['bench', '--version']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(r.stderr).toBe('');
  });

  it('scripts npm runs (install scripts included) see npm_config_onnxruntime_node_install=skip', () => {
    const r = npx(['node', '-e', 'process.stdout.write(String(process.env.npm_config_onnxruntime_node_install))']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('skip');
  });
});

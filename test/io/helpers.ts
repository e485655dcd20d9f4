/** Shared helpers of the io/cases tests: repository paths, ../shared location, numpy via python3. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NdArray } from '../../src/types.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The read-only shared data folder (CI has it beside the checkout; override with MEDSEG_SHARED). */
export const SHARED = process.env.MEDSEG_SHARED ?? resolve(REPO, '..', 'shared');
export const HAVE_SHARED = existsSync(resolve(SHARED, 'cases', 'public', 'imgs'));

/** sha256 of the C-order little-endian bytes of an NdArray (what scripts/npz_manifest.py hashes). */
export function sha256Of(a: NdArray): string {
  return createHash('sha256').update(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength)).digest('hex');
}

/** Runs a python3 snippet (numpy imported as np) and returns its stdout. */
export function python(code: string, args: string[] = []): string {
  return execFileSync('python3', ['-c', `import numpy as np, sys, json\n${code}`, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

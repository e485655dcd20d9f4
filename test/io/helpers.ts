/** Shared helpers of the io/cases tests: repository paths, ../shared location, numpy via python3. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { NdArray } from '../../src/types.js';

export { HAVE_SHARED, REPO, SHARED } from '../shared.js';

/** sha256 of the C-order little-endian bytes of an NdArray (what scripts/npz_manifest.py hashes). */
export function sha256Of(a: NdArray): string {
  return createHash('sha256').update(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength)).digest('hex');
}

/** Runs a python3 snippet (numpy imported as np) and returns its stdout. */
export function python(code: string, args: string[] = []): string {
  return execFileSync('python3', ['-c', `import numpy as np, sys, json\n${code}`, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

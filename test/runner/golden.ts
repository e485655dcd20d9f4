/** Paths and loaders of ../shared/golden/pipeline (reference outputs of every LiteMedSAM pipeline step). */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { NdArray } from '../../src/types.js';

import { SHARED } from '../shared.js';

export { REPO, SHARED } from '../shared.js';
export const GOLDEN = path.join(SHARED, 'golden', 'pipeline');
export const PUBLIC_IMGS = path.join(SHARED, 'cases', 'public', 'imgs');
export const PUBLIC_GTS = path.join(SHARED, 'cases', 'public', 'gts');

export const INDEX: any = JSON.parse(readFileSync(path.join(GOLDEN, 'index.json'), 'utf8'));

/** sha256 of an array's raw C-order little-endian bytes (the golden files' convention). */
export function sha256Of(a: NdArray | ArrayBufferView): string {
  const d = 'data' in a ? a.data : a;
  return createHash('sha256').update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)).digest('hex');
}

/** First index where two arrays differ, or -1; and the count of differing elements. */
export function diffCount(a: ArrayLike<number>, b: ArrayLike<number>): { count: number; first: number } {
  if (a.length !== b.length) return { count: Math.max(a.length, b.length), first: 0 };
  let count = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) {
      if (first < 0) first = i;
      count++;
    }
  }
  return { count, first };
}

/** Shared helpers of the metrics tests: the golden set of ../shared/golden/metrics and tolerant comparisons. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from '../shared.js';

export { HAVE_SHARED, SHARED } from '../shared.js';
export const GOLDEN_DIR = join(SHARED, 'golden', 'metrics');

/** golden.json numbers: NaN / Infinity are strings there. */
export function num(v: unknown): number {
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v as number;
}

/** Relative closeness within `rel` (NaN equals NaN; infinities must be equal). */
export function close(a: number, b: number, rel = 1e-9): boolean {
  if (Number.isNaN(b)) return Number.isNaN(a);
  if (!Number.isFinite(b)) return a === b;
  return a === b || Math.abs(a - b) <= rel * Math.abs(b);
}

export type GoldenCase = any;

export function loadGolden(): { cases: GoldenCase[] } {
  return JSON.parse(readFileSync(join(GOLDEN_DIR, 'golden.json'), 'utf8'));
}

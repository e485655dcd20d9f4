/**
 * Temporary case sets for the real-run gate test: copies of 2D demo cases, optionally with the boxes of some cases
 * shrunk by a few pixels (a real accuracy regression of a box-prompted model), rewritten with the product's writeNpz.
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { readNpz, writeNpz } from '../../src/io/npz.js';

/**
 * Shrink 2D boxes `[x_min, y_min, x_max, y_max]` (inclusive, int64 as in the challenge files) by `px` on every side;
 * a box narrower than 2*px+1 collapses to its centre pixel (min <= max always holds).
 */
export function shrinkBoxes(boxes: BigInt64Array, px: number): BigInt64Array {
  const out = new BigInt64Array(boxes.length);
  const p = BigInt(px);
  for (let i = 0; i < boxes.length; i += 4) {
    for (const [lo, hi] of [[i, i + 2], [i + 1, i + 3]] as const) {
      const a = boxes[lo]!;
      const b = boxes[hi]!;
      const c = (a + b) / 2n;
      const na = a + p > c ? c : a + p;
      const nb = b - p < na ? na : b - p;
      out[lo] = na;
      out[hi] = nb;
    }
  }
  return out;
}

/**
 * Copy the 2D cases of `srcDir` (imgs/ and gts/) into `dstDir`; cases for which `shrink(caseName)` is true get their
 * boxes shrunk by `px`.
 * @returns the case names copied.
 */
export async function makeCaseSet(srcDir: string, dstDir: string, shrink: (c: string) => boolean, px: number): Promise<string[]> {
  mkdirSync(path.join(dstDir, 'imgs'), { recursive: true });
  mkdirSync(path.join(dstDir, 'gts'), { recursive: true });
  const names = readdirSync(path.join(srcDir, 'imgs')).filter((f) => f.startsWith('2DBox_') && f.endsWith('.npz')).sort();
  for (const f of names) {
    copyFileSync(path.join(srcDir, 'gts', f), path.join(dstDir, 'gts', f));
    const c = f.replace(/\.npz$/, '');
    if (!shrink(c)) {
      copyFileSync(path.join(srcDir, 'imgs', f), path.join(dstDir, 'imgs', f));
      continue;
    }
    const arrays = await readNpz(path.join(srcDir, 'imgs', f));
    const boxes = arrays.boxes;
    if (!boxes || boxes.dtype !== 'int64' || boxes.shape.length !== 2 || boxes.shape[1] !== 4)
      throw new Error(`${f}: expected int64 boxes of shape (N, 4), found ${boxes ? `${boxes.dtype} (${boxes.shape.join(', ')})` : 'none'}`);
    await writeNpz(path.join(dstDir, 'imgs', f), { ...arrays, boxes: { ...boxes, data: shrinkBoxes(boxes.data as BigInt64Array, px) } });
  }
  return names.map((f) => f.replace(/\.npz$/, ''));
}

/**
 * Overlapping boxes: how many pixels (2D) / voxels (3D) lie inside more than one box of a case. Where boxes overlap,
 * the later box wins: the reference pipeline writes `segs[mask] = i` for boxes i = 1..N in file order
 * (../shared/docs/PIPELINE.md, 2D step 8 and 3D step 7: "Later boxes overwrite earlier ones"), so an earlier object
 * can lose pixels it would otherwise have. Pure computation, no I/O; used by the case rules (a warning in
 * `bench cases validate`) and by `bench run` (cases.csv column `box_overlap`).
 */
import type { Dim } from '../types.js';

/** The assignment rule in overlaps, as written in results (run.json `box_overlap_rule`) and reports. */
export const BOX_OVERLAP_RULE =
  'where boxes overlap the later box wins: segs[mask] = i for boxes i = 1..N in file order (../shared/docs/PIPELINE.md 2D step 8, 3D step 7)';

/** Sorted distinct values. */
function cuts(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/**
 * Area (pixel count) covered by at least two of the rectangles, on a grid compressed to the rectangles' edges.
 * @param rects [x0, y0, x1, y1] inclusive integer pixel coordinates
 */
function areaCoveredTwice(rects: readonly (readonly number[])[]): number {
  if (rects.length < 2) return 0;
  const xs = cuts(rects.flatMap((r) => [r[0]!, r[2]! + 1]));
  const ys = cuts(rects.flatMap((r) => [r[1]!, r[3]! + 1]));
  const nx = xs.length;
  const ny = ys.length;
  const xi = new Map(xs.map((x, i) => [x, i]));
  const yi = new Map(ys.map((y, i) => [y, i]));
  // 2D difference array over the (nx x ny) cut points; its prefix sum is the cover count of each cell
  const diff = new Int32Array(nx * ny);
  for (const r of rects) {
    const a = xi.get(r[0]!)!;
    const b = xi.get(r[2]! + 1)!;
    const c = yi.get(r[1]!)!;
    const d = yi.get(r[3]! + 1)!;
    diff[c * nx + a]! += 1;
    diff[c * nx + b]! -= 1;
    diff[d * nx + a]! -= 1;
    diff[d * nx + b]! += 1;
  }
  let area = 0;
  const row = new Int32Array(nx); // running column sums (prefix over y)
  for (let y = 0; y < ny - 1; y++) {
    let count = 0;
    for (let x = 0; x < nx - 1; x++) {
      row[x]! += diff[y * nx + x]!;
      count += row[x]!;
      if (count >= 2) area += (xs[x + 1]! - xs[x]!) * (ys[y + 1]! - ys[y]!);
    }
  }
  return area;
}

/**
 * Pixels / voxels inside more than one box (each counted once, however many boxes cover it).
 * @param boxes N rows of integer coordinates, inclusive, as stored: 2D [x_min, y_min, x_max, y_max], 3D [x_min,
 *   y_min, z_min, x_max, y_max, z_max]; rows with min > max on an axis cover nothing
 * @param dim 2 or 3 (the width of a row: 4 or 6)
 * @returns the count (0 for fewer than two boxes); exact, computed on the boxes' edges (no image needed)
 */
export function boxOverlap(boxes: readonly (readonly number[])[], dim: Dim): number {
  const valid = boxes.filter((b) => (dim === 2 ? b[0]! <= b[2]! && b[1]! <= b[3]! : b[0]! <= b[3]! && b[1]! <= b[4]! && b[2]! <= b[5]!));
  if (valid.length < 2) return 0;
  if (dim === 2) return areaCoveredTwice(valid);
  // 3D: slabs between consecutive z edges; within a slab the active boxes are fixed, so its overlap is a 2D area
  const zs = cuts(valid.flatMap((b) => [b[2]!, b[5]! + 1]));
  let voxels = 0;
  for (let k = 0; k < zs.length - 1; k++) {
    const z = zs[k]!;
    const active = valid.filter((b) => b[2]! <= z && z <= b[5]!).map((b) => [b[0]!, b[1]!, b[3]!, b[4]!]);
    if (active.length >= 2) voxels += areaCoveredTwice(active) * (zs[k + 1]! - z);
  }
  return voxels;
}

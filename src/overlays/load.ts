/**
 * Case data for overlays: imgs and boxes from `<cases_dir>/imgs/<case>.npz`, gts from `<cases_dir>/gts/<case>.npz`
 * (run.json `cases_dir`), segs from `<run>/segs/<variant>/<case>.npz`, and the choice of the 3D slices to show
 * (per ground-truth label the axial slice where that label's area is largest).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readNpz } from '../io/index.js';
import type { NdArray } from '../types.js';
import { labelSlice, type OverlayPlane } from './draw.js';
import { loadCaseGts, loadCaseImgs } from '../cases/validate.js';

/** One case as drawn. */
export interface OverlayCase {
  name: string;
  dim: 2 | 3;
  /** uint8 (H, W, 3) for 2D, (D, H, W) for 3D. */
  imgs: NdArray;
  /** Boxes as stored: [x0, y0, x1, y1] (2D) or [x0, y0, z0, x1, y1, z1] (3D), inclusive. */
  boxes: number[][];
  /** Ground truth, same spatial shape as imgs; undefined when the gts file is absent. */
  gts?: NdArray;
}

/**
 * Read a case's imgs (keys `imgs`, `boxes`) and gts (key `gts`) through the case rules (src/cases/validate.ts
 * loadCaseImgs / loadCaseGts), so a broken case is refused with the same message as `bench cases validate`, `bench
 * predict` and the runners.
 * @throws Error naming the file when the imgs file is missing; CaseValidationError (file, key, expected, found) when
 *   the imgs or the gts file breaks a case rule.
 */
export async function loadOverlayCase(casesDir: string, name: string): Promise<OverlayCase> {
  const imgsPath = path.join(casesDir, 'imgs', `${name}.npz`);
  if (!existsSync(imgsPath)) throw new Error(`${imgsPath}: imgs file not found (run.json cases_dir ${casesDir})`);
  const c = await loadCaseImgs(imgsPath);
  const gtsPath = path.join(casesDir, 'gts', `${name}.npz`);
  const gts = existsSync(gtsPath) ? (await loadCaseGts(gtsPath, c)).gts : undefined;
  return { name, dim: c.dim, imgs: c.imgs, boxes: c.boxes, gts };
}

/** Spatial (H, W) of a case and the number of slices (1 for 2D). */
function grid(c: OverlayCase): { D: number; H: number; W: number } {
  const s = c.imgs.shape;
  return c.dim === 3 ? { D: s[0]!, H: s[1]!, W: s[2]! } : { D: 1, H: s[0]!, W: s[1]! };
}

/**
 * Slices to show for a 3D case: for every ground-truth label, the axial slice (first array axis) with its largest
 * area; distinct slices ordered by that area (largest first), at most `max`. With `slice` given: that slice only.
 * 2D cases: `[0]`.
 * @throws Error when `slice` is outside 0..D-1.
 */
export function chooseSlices(c: OverlayCase, opts: { slice?: number; max?: number } = {}): number[] {
  const { D, H, W } = grid(c);
  if (c.dim === 2) return [0];
  if (opts.slice !== undefined) {
    if (!Number.isInteger(opts.slice) || opts.slice < 0 || opts.slice >= D) throw new Error(`--slice ${opts.slice}: ${c.name} has slices 0..${D - 1}`);
    return [opts.slice];
  }
  if (!c.gts) return [Math.floor(D / 2)];
  const plane = H * W;
  // area[label][z]
  const best = new Map<number, { z: number; area: number }>();
  for (let z = 0; z < D; z++) {
    const counts = new Map<number, number>();
    const s = labelSlice(c.gts, z * plane, plane);
    for (let i = 0; i < plane; i++) {
      const v = s[i]!;
      if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    for (const [label, area] of counts) if (area > (best.get(label)?.area ?? 0)) best.set(label, { z, area });
  }
  const byZ = new Map<number, number>();
  for (const { z, area } of best.values()) byZ.set(z, Math.max(byZ.get(z) ?? 0, area));
  const zs = [...byZ.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([z]) => z);
  return (zs.length ? zs : [Math.floor(D / 2)]).slice(0, opts.max ?? 3);
}

/**
 * The plane of slice `z` (ignored for 2D) with the ground truth and, when given, the prediction.
 * 3D boxes are drawn on the slices they span (z0 <= z <= z1).
 */
export function planeOf(c: OverlayCase, z: number, segs?: NdArray, withGts = true): OverlayPlane {
  const { H, W } = grid(c);
  const n = H * W;
  const off = c.dim === 3 ? z * n : 0;
  const rgb = c.dim === 3 ? (c.imgs.data as Uint8Array).subarray(off, off + n) : (c.imgs.data as Uint8Array).subarray(0, n * 3);
  const boxes =
    c.dim === 3 ? c.boxes.filter((b) => b[2]! <= z && z <= b[5]!).map((b) => [b[0]!, b[1]!, b[3]!, b[4]!]) : c.boxes.map((b) => b.slice(0, 4));
  const plane: OverlayPlane = { rgb, channels: c.dim === 3 ? 1 : 3, height: H, width: W, boxes };
  if (withGts && c.gts) plane.gts = labelSlice(c.gts, off, n);
  if (segs && segs.data.length >= off + n) plane.segs = labelSlice(segs, off, n);
  return plane;
}

/** Read `segs` of one variant x case, or undefined when the file is missing or unreadable (failed case). */
export async function loadSegs(runDir: string, variant: string, name: string): Promise<NdArray | undefined> {
  const p = path.join(runDir, 'segs', variant, `${name}.npz`);
  if (!existsSync(p)) return undefined;
  try {
    return (await readNpz(p, ['segs'])).segs;
  } catch {
    return undefined;
  }
}

/**
 * Per-case DSC and NSD in two documented semantics:
 *
 * - `official` (default): exactly the challenge's compute_metrics.py (bowang-lab/MedSAM LiteMedSAM, commit b0fab47):
 *   labels 1..gt.max() in gt's dtype, NaN propagation, case NSD only when the float64 mean DSC > 0.2, 2D as a
 *   one-voxel slab with spacing [1,1,1], 3D spacing applied verbatim to array axes. ../shared/docs/METRICS.md.
 * - `strict`: evaluated labels = labels present in gt or seg (or `labels` given, e.g. the case's box list); labels
 *   empty in both are excluded and counted; no 0.2 gate; 2D cases use the true 2D contour NSD; 3D spacing is applied
 *   in array-axis order according to `spacingOrder` (`xyz`: the file stores (x, y, z) next to (z, y, x) arrays, as
 *   the challenge files do, so it is reversed; `zyx` / `as-stored`: used verbatim).
 */
import { spacingOrderProblem, type Dim, type MetricMode, type NdArray, type SpacingOrder } from '../types.js';
import { rotatedAreaTable, surfelAreaTable } from './area.js';
import { countLabels, isRunVolume, maxLabel, MAX_LABEL_ID, officialLabelRange, SMALL_DTYPE_MAX, toLabelData, type LabelCounts, type RunVolume } from './labels.js';
import { npMean } from './numeric.js';
import { labelContour2d, labelSurface3d, type SurfaceSummary } from './surface.js';

/** Default NSD tolerance (mm; pixels for 2D cases), as the challenge. */
export const DEFAULT_TOLERANCE_MM = 2.0;

/** Options of {@link computeCaseMetrics}. */
export interface CaseMetricsOptions {
  /** 2 or 3, as the challenge decides it from the file name (`3D` prefix -> 3). */
  dim: Dim;
  /** 3D: the `spacing` stored in the gts file (mm), as stored. Ignored for 2D. Required for 3D. */
  spacing?: readonly number[];
  /** `official` (default) or `strict`. */
  mode?: MetricMode;
  /** How the file stores `spacing` (strict mode only; official always uses it verbatim). Default `as-stored`. */
  spacingOrder?: SpacingOrder;
  /** NSD tolerance in mm (default 2.0). */
  tolerance_mm?: number;
  /** Strict mode: labels to evaluate (e.g. the ids of the case's boxes) instead of the labels present. */
  labels?: readonly number[];
  /**
   * `all` (default): surface figures for every evaluated label even when the official gate fails (golden.json does
   * the same); `gated`: only when the case NSD needs them (faster for failing cases).
   */
  surfaces?: 'all' | 'gated';
  /** Where the arrays came from, for error messages (e.g. the gts file name). */
  where?: string;
  /** Cross-check switch: exact EDT for every distance instead of the bounded search. */
  forceEdt?: boolean;
}

/** One evaluated label. */
export interface LabelMetrics {
  label: number;
  gt_voxels: number;
  seg_voxels: number;
  intersection: number;
  /** 2|G∩S|/(|G|+|S|); NaN when both are empty (official). */
  dsc: number;
  /** compute_surface_dice_at_tolerance for this label (NaN when both empty, or null when not computed). */
  nsd: number | null;
  /** Surface summary (null when not computed, see `surfaces`). */
  surface: SurfaceSummary | null;
}

/** Result of {@link computeCaseMetrics}. */
export interface CaseMetrics {
  /** Case DSC (official: np.mean of per-label DSC, NaN propagates). */
  dsc: number;
  /** Case NSD (official: 0.0 unless dsc > 0.2). */
  nsd: number;
  /** Official: `dsc > 0.2`; strict: true when at least one label was evaluated. */
  nsdComputed: boolean;
  mode: MetricMode;
  dim: Dim;
  /** Per evaluated label, ascending. */
  labels: LabelMetrics[];
  /** Labels evaluated (official: 1..gt.max(); strict: present/given minus empty-in-both). */
  labelsEvaluated: number[];
  /** Strict: labels excluded because they are empty in both gt and seg. Official: always []. */
  labelsEmptyInBoth: number[];
  /** Spacing as stored in the gts file (3D) or null (2D). */
  spacingStored: number[] | null;
  /** Spacing applied to array axes 0,1,2 (official 2D: [1,1,1]; strict 2D: [1,1]). */
  spacingUsed: number[];
  spacingOrder: SpacingOrder;
  /** What the NSD is: the official one-voxel slab (2D), 3D surfels, or the true 2D contour (strict 2D). */
  nsdKind: 'slab2d' | '3d' | 'contour2d';
  toleranceMm: number;
  /** Warnings (numpy RuntimeWarnings the official code would raise, conventions applied, ...). */
  warnings: string[];
}

/**
 * Largest label L in 1..from with count[L] > 0, or 0. (Loops live in small functions of their own: a long loop in
 * computeCaseMetrics would have V8 compile that whole large function on stack replacement.)
 */
function lastCounted(count: Float64Array, from: number): number {
  for (let L = from; L >= 1; L--) if (count[L]! > 0) return L;
  return 0;
}

/** The candidates that are not empty in both gt and seg; the others are appended to `emptyInBoth`. */
function splitEmptyInBoth(candidates: readonly number[], counts: LabelCounts, emptyInBoth: number[]): number[] {
  const evaluated: number[] = [];
  for (const L of candidates) {
    if (counts.gt[L]! + counts.seg[L]! === 0) emptyInBoth.push(L);
    else evaluated.push(L);
  }
  return evaluated;
}

/** The values of an array held as runs: none (never read). */
const NO_VALUES = new Uint8Array(0);

function as3d(shape: readonly number[]): [number, number, number] {
  return shape.length === 2 ? [shape[0]!, shape[1]!, 1] : [shape[0]!, shape[1]!, shape[2]!];
}

/**
 * A copy of `values` (e.g. a spacing in mm) that V8 stores as doubles whatever the values: the literal it starts from
 * holds a non-integer, so the array is PACKED_DOUBLE_ELEMENTS and stays so when integers are stored. The surface kernels
 * then meet one array kind and non-Smi spacing values in every case, and the code compiled for the first cases of a
 * folder (2D, spacing [1, 1, 1]) is not deoptimised at its first anisotropic 3D case ("wrong map", "not a Smi" in
 * `node --trace-deopt`). Values are unchanged (a double holds every number exactly).
 * @param values e.g. a spacing in mm, per array axis
 * @returns a new array of the same values, in the same order
 */
export function doubleArray(values: readonly number[]): number[] {
  const out = [0.5];
  out.length = 0;
  for (const v of values) out.push(v);
  return out;
}

/** The row runs of gts and segs when both are held as runs ({@link RunVolume}), else null. @throws Error naming `where` on a mix or a shape or dtype runs cannot stand for. */
function givenRuns(gts: NdArray | RunVolume, segs: NdArray | RunVolume, dim: Dim, where: string): { gtRuns: RunVolume['runs']; segRuns: RunVolume['runs'] } | null {
  const g = isRunVolume(gts);
  const s = isRunVolume(segs);
  if (!g && !s) return null;
  if (!g || !s || dim !== 3 || gts.shape.length !== 3 || SMALL_DTYPE_MAX[gts.dtype] === undefined || SMALL_DTYPE_MAX[segs.dtype] === undefined) {
    throw new Error(`${where}: row runs stand for the gts and segs of a 3D case, both of at most 16 bits; got a ${dim}D case, gts ${gts.dtype} (${gts.shape.join(', ')}) ${g ? 'as runs' : 'as values'}, segs ${segs.dtype} ${s ? 'as runs' : 'as values'}`);
  }
  return { gtRuns: gts.runs, segRuns: segs.runs };
}

/**
 * DSC and NSD of one case (gts vs segs label arrays).
 * @param gts label array (2D (H, W) or 3D (D, H, W)), integer or bool dtype; or a 3D array of at most 16 bits held as
 *   its row runs ({@link RunVolume}, a large member streamed by ../io/npz-rows.ts; segs then too): same results.
 * @param segs label array of the same shape, any numeric dtype.
 * @throws Error (naming `opts.where`) on shape mismatch, wrong dimensionality, float gts, missing/invalid 3D spacing
 *   (official mode scores a NaN spacing as the official scorer does: DSC, NSD NaN), or labels
 *   beyond {@link MAX_LABEL_ID}: cases the official code crashes on.
 */
export function computeCaseMetrics(gts: NdArray | RunVolume, segs: NdArray | RunVolume, opts: CaseMetricsOptions): CaseMetrics {
  const mode: MetricMode = opts.mode ?? 'official';
  const where = opts.where ?? 'case';
  const tol = opts.tolerance_mm ?? DEFAULT_TOLERANCE_MM;
  const spacingOrder: SpacingOrder = opts.spacingOrder ?? 'as-stored';
  const dim = opts.dim;
  const warnings: string[] = [];
  if (mode !== 'official' && mode !== 'strict') throw new Error(`${where}: unknown metrics mode '${String(mode)}'; expected official or strict`);
  const orderProblem = spacingOrderProblem(mode, spacingOrder);
  if (orderProblem) throw new Error(`${where}: ${orderProblem}`);
  if (!(tol >= 0)) throw new Error(`${where}: tolerance_mm must be a non-negative number, got ${tol}`);
  if (gts.shape.length !== 2 && gts.shape.length !== 3) {
    throw new Error(`${where}: key 'gts' has shape (${gts.shape.join(', ')}); expected a 2D (H, W) or 3D (D, H, W) array`);
  }
  // Dimensionality that contradicts the file name: the official code computes DSC, then crashes in the NSD stage
  // (AxisError / ValueError) only when the gate passes. Official mode reproduces that (error only if dsc > 0.2).
  const dimMismatch = gts.shape.length !== dim;
  if (dimMismatch && mode === 'strict') {
    throw new Error(`${where}: key 'gts' has ${gts.shape.length} dimensions (shape (${gts.shape.join(', ')})); a ${dim}D case needs ${dim}`);
  }
  if (segs.shape.length !== gts.shape.length || segs.shape.some((d, k) => d !== gts.shape[k])) {
    throw new Error(`${where}: segs shape (${segs.shape.join(', ')}) differs from gts shape (${gts.shape.join(', ')})`);
  }
  let spacingStored: number[] | null = null;
  let spacingUsed: number[];
  let nanSpacing = false;
  if (dim === 3) {
    if (!opts.spacing) throw new Error(`${where}: a 3D case needs the 'spacing' stored in the gts file`);
    spacingStored = Array.from(opts.spacing, Number);
    const sp = spacingStored;
    // A NaN spacing (no zero, infinite or negative value): the official scorer computes the DSC as usual, and its surfel
    // areas Σ‖(n0·s1·s2, n1·s0·s2, n2·s0·s1)‖ (METRICS.md §5.1) are NaN for every border corner, so every per-label NSD
    // and the case NSD (when the DSC gate opens; 0 below it) are NaN. Official mode reproduces that (checked against
    // numpy/scipy in test/metrics/spacing.test.ts); strict mode refuses it. A negative value is refused in both modes:
    // scipy's feature transform with a negative sampling no longer finds the nearest surface (its NSD is neither the
    // NSD of |spacing| nor reproduced here).
    nanSpacing = mode === 'official' && sp.length === 3 && sp.some((s) => Number.isNaN(s)) && sp.every((s) => Number.isNaN(s) || (s > 0 && Number.isFinite(s)));
    if (sp.length !== 3 || (!nanSpacing && sp.some((s) => !(s > 0) || !Number.isFinite(s)))) {
      const why = sp.some((s) => s < 0)
        ? " (the official scorer's NSD with a negative spacing depends on scipy's feature transform, which then misses the nearest surface: not reproduced)"
        : mode === 'strict' && sp.some((s) => Number.isNaN(s))
          ? ' (strict mode; official mode scores a NaN spacing as the official scorer does: DSC, NSD NaN)'
          : '';
      throw new Error(`${where}: key 'spacing' must hold 3 positive finite values, got [${sp.join(', ')}]${why}`);
    }
    spacingUsed = mode === 'strict' && spacingOrder === 'xyz' ? [...sp].reverse() : [...sp];
    if (nanSpacing) warnings.push(`gts spacing [${sp.join(', ')}] holds NaN: as the official scorer, DSC is computed and NSD is NaN (NaN surfel areas) when DSC > 0.2, else 0; strict mode refuses this spacing`);
    if (mode === 'strict' && spacingOrder === 'as-stored' && new Set(spacingStored).size > 1) {
      warnings.push('spacing applied verbatim to array axes (spacingOrder as-stored); declare xyz or zyx for physical values');
    }
  } else {
    spacingUsed = mode === 'official' ? [1, 1, 1] : [1, 1];
  }
  if (mode === 'official' && opts.labels) warnings.push('labels option ignored in official mode (labels are 1..gt.max())');
  const given = givenRuns(gts, segs, dim, where);
  // held as runs: the values are never read (counts, boxes and masks come from the runs)
  const gt = isRunVolume(gts) ? NO_VALUES : toLabelData(gts, 'gts', where);
  const seg = isRunVolume(segs) ? NO_VALUES : toLabelData(segs, 'segs', where);
  // The official 2D slab (H, W, 1) is scored as the same C-order voxels in the layout (1, H, W): rows then run along W
  // (word-wide runs and border bits instead of one voxel per row), with the neighbour codes' area table rotated to
  // match (rotatedAreaTable). Its spacing is [1, 1, 1], so every distance is the root of the same sum of integer
  // squares and every figure is bit for bit that of the slab.
  const slab = dim === 2 && mode === 'official' && gts.shape.length === 2;
  const shape3: [number, number, number] = slab ? [1, gts.shape[0]!, gts.shape[1]!] : as3d(gts.shape);

  // Which labels. For dtypes of at most 16 bits the counting pass covers the whole dtype range, so gt.max() and the
  // labels present come from the counts (no separate max pass).
  if (gts.shape.some((n) => n === 0)) throw new Error(`${where}: key 'gts' is an empty array; expected at least one voxel`);
  const smallGt = SMALL_DTYPE_MAX[gts.dtype];
  const smallSeg = SMALL_DTYPE_MAX[segs.dtype];
  let K: number;
  let candidates: number[];
  let counts: LabelCounts;
  if (mode === 'official') {
    let gtMax: number;
    if (smallGt !== undefined) {
      counts = countLabels(gt, seg, shape3, smallGt, { given });
      gtMax = lastCounted(counts.gt, smallGt);
    } else {
      gtMax = maxLabel(gt);
      counts = null as unknown as LabelCounts;
    }
    const r = officialLabelRange(gtMax, gts.dtype, where);
    K = r.K;
    warnings.push(...r.warnings);
    if (smallGt === undefined) counts = countLabels(gt, seg, shape3, K, { given });
    candidates = Array.from({ length: K }, (_, k) => k + 1);
  } else {
    if (opts.labels) {
      candidates = [...new Set(opts.labels)].sort((a, b) => a - b);
      for (const L of candidates) {
        if (!Number.isInteger(L) || L < 1 || L > MAX_LABEL_ID) throw new Error(`${where}: label ${L} is not an integer in 1..${MAX_LABEL_ID}`);
      }
      K = candidates.length ? candidates[candidates.length - 1]! : 0;
      counts = countLabels(gt, seg, shape3, K, { given });
    } else {
      K = smallGt !== undefined && smallSeg !== undefined ? Math.max(smallGt, smallSeg) : Math.max(maxLabel(gt), maxLabel(seg), 0);
      if (K > MAX_LABEL_ID) throw new Error(`${where}: label ${K} exceeds ${MAX_LABEL_ID}`);
      counts = countLabels(gt, seg, shape3, K, { given });
      candidates = [];
      for (let L = 1; L <= K; L++) if (counts.gt[L]! > 0 || counts.seg[L]! > 0) candidates.push(L);
    }
  }
  const labelsEmptyInBoth: number[] = [];
  const evaluated: number[] = mode === 'strict' ? splitEmptyInBoth(candidates, counts, labelsEmptyInBoth) : candidates;
  if (labelsEmptyInBoth.length) warnings.push(`labels empty in both gt and seg excluded: ${labelsEmptyInBoth.join(', ')}`);

  const rows: LabelMetrics[] = evaluated.map((L) => {
    const g = counts.gt[L]!;
    const s = counts.seg[L]!;
    const i = counts.inter[L]!;
    return { label: L, gt_voxels: g, seg_voxels: s, intersection: i, dsc: g + s === 0 ? NaN : (2 * i) / (g + s), nsd: null, surface: null };
  });
  const dsc = npMean(rows.map((r) => r.dsc));
  if (rows.length === 0) warnings.push(mode === 'official' ? 'Mean of empty slice: no label in range(1, gt.max()+1); DSC is NaN' : 'no label to evaluate; DSC and NSD are NaN');
  else if (Number.isNaN(dsc)) warnings.push('a label in 1..gt.max() is empty in both gt and seg: DSC is NaN (official semantics)');
  const nsdComputed = mode === 'official' ? dsc > 0.2 : rows.length > 0;

  const nsdKind: CaseMetrics['nsdKind'] = dim === 3 ? '3d' : mode === 'official' ? 'slab2d' : 'contour2d';
  if (dimMismatch) {
    if (nsdComputed) {
      throw new Error(
        `${where}: key 'gts' has ${gts.shape.length} dimensions (shape (${gts.shape.join(', ')})) but the file name selects the ${dim}D path; the official scorer crashes in the NSD stage (mean DSC ${dsc} > 0.2)`,
      );
    }
    warnings.push(`gts has ${gts.shape.length} dimensions but the file name selects the ${dim}D path: NSD is 0 by the gate, surfaces not computed (the official scorer would crash if DSC > 0.2)`);
  }
  const wantSurfaces = !dimMismatch && ((opts.surfaces ?? 'all') === 'all' || nsdComputed);
  if (nanSpacing) {
    // NaN surfel areas: every label's NSD is NaN (0/0 or NaN/NaN), whatever the masks; no surface figures
    for (const row of rows) row.nsd = NaN;
  } else if (wantSurfaces) {
    const spacing = doubleArray(spacingUsed);
    const areaTable = nsdKind === 'contour2d' ? null : slab ? rotatedAreaTable(surfelAreaTable(spacing)) : surfelAreaTable(spacing);
    for (const row of rows) {
      const bbox = counts.bbox(row.label);
      const sopts = { toleranceMm: tol, forceEdt: opts.forceEdt ?? false };
      const surface =
        nsdKind === 'contour2d'
          ? labelContour2d(gt, seg, shape3, row.label, row.label, bbox, spacing, sopts)
          : labelSurface3d(gt, seg, shape3, row.label, row.label, bbox, spacing, areaTable!, sopts, counts);
      row.surface = surface;
      row.nsd = surface.nsd;
    }
  }
  let nsd: number;
  if (mode === 'official') nsd = nsdComputed ? npMean(rows.map((r) => r.nsd!)) : 0.0;
  else nsd = rows.length ? npMean(rows.map((r) => r.nsd!)) : NaN;

  return {
    dsc,
    nsd,
    nsdComputed,
    mode,
    dim,
    labels: rows,
    labelsEvaluated: evaluated,
    labelsEmptyInBoth,
    spacingStored,
    spacingUsed,
    spacingOrder,
    nsdKind,
    toleranceMm: tol,
    warnings,
  };
}

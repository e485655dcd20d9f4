/** Types shared by the surface-distance modules (src/metrics/surface.ts and src/metrics/surface/). */

/** Label array accepted by the surface code: plain numbers (bigint arrays are converted before). */
export type LabelData = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** Inclusive voxel bounding box [lo, hi] per axis. */
export interface BBox {
  lo: [number, number, number];
  hi: [number, number, number];
}

/** Summary of `compute_surface_distances` for one label (field names as golden.json `per_label[].surface`). */
export interface SurfaceSummary {
  /** Number of border corners (surfels) of gt / seg. */
  n_surfels_gt: number;
  n_surfels_seg: number;
  /** Sum of surfel areas (mm^2; 2D slab: voxel units; 2D contour: contour length). */
  area_gt: number;
  area_seg: number;
  /** Sum of areas whose distance to the other surface is <= tolerance_mm. */
  overlap_area_gt: number;
  overlap_area_seg: number;
  /** overlap_area / area (NaN when area is 0). */
  overlap_frac_gt: number;
  overlap_frac_seg: number;
  /** compute_average_surface_distance, mm (NaN for an empty side, +Infinity when the other side is empty). */
  avg_dist_gt_to_seg: number;
  avg_dist_seg_to_gt: number;
  /** compute_robust_hausdorff(., 95), mm (+Infinity when either side is empty). */
  hd95: number;
  /** Largest distance of each side (null when that side has no surfels). */
  max_dist_gt_to_seg: number | null;
  max_dist_seg_to_gt: number | null;
  /** compute_surface_dice_at_tolerance (NaN when both masks are empty). */
  nsd: number;
}

/** Options of the surface computation. */
export interface SurfaceOptions {
  /** Tolerance (mm) of NSD and of the overlap fields. */
  toleranceMm: number;
  /**
   * Force the exact EDT for every distance instead of the bounded search (slower; for cross-checking).
   * Values are identical up to the choice among equidistant corners.
   */
  forceEdt?: boolean;
}

/**
 * Surfel area tables: the official marching-cubes area per 2x2x2 neighbour code (3D and the 2D one-voxel slab) and
 * DeepMind's 2D contour-length table (strict mode, true 2D contour NSD).
 */
import { fma } from './numeric.js';
import { SURFEL_NORMALS } from './surfel-normals.js';

/**
 * Area (mm^2) of the surfels of each neighbour code 0..255 at `spacing` = [s0, s1, s2] (array-axis order):
 * `area[code] = sum_t ||(n_t0*s1*s2, n_t1*s0*s2, n_t2*s0*s1)||_2`, products left to right, the norm as
 * np.linalg.norm evaluates it here (sqrt(fma(x2,x2,fma(x1,x1,x0*x0))), OpenBLAS ddot), summed sequentially from 0
 * like the official Python loop. area[0] = area[255] = 0.
 * Source: official SurfaceDice.compute_surface_distances (../shared/docs/METRICS.md section 5.1).
 * Tables are kept per spacing for the process (a folder of 2D cases shares one); each call returns a fresh copy.
 * @param spacing three positive finite float64 values.
 * @returns Float64Array(256).
 */
export function surfelAreaTable(spacing: readonly number[]): Float64Array {
  const key = spacing.join(','); // a double's string form round-trips exactly
  let t = AREA_TABLES.get(key);
  if (!t) {
    t = computeSurfelAreaTable(spacing);
    if (AREA_TABLES.size >= 64) AREA_TABLES.clear();
    AREA_TABLES.set(key, t);
  }
  return t.slice();
}

const AREA_TABLES = new Map<string, Float64Array>();

/** The distinct normals of SURFEL_NORMALS (42 among 734 triangles) and, per code, the index of each triangle's normal. */
const DISTINCT_NORMALS = ((): { normals: (readonly number[])[]; byCode: Int32Array[] } => {
  const index = new Map<string, number>();
  const normals: (readonly number[])[] = [];
  const byCode = SURFEL_NORMALS.map((tris) =>
    Int32Array.from(tris, (n) => {
      const key = n.join(',');
      let k = index.get(key);
      if (k === undefined) {
        k = normals.length;
        index.set(key, k);
        normals.push(n);
      }
      return k;
    }),
  );
  return { normals, byCode };
})();

function computeSurfelAreaTable(spacing: readonly number[]): Float64Array {
  const [s0, s1, s2] = spacing as [number, number, number];
  // The norm of each distinct normal once (the exact FMA is slow); then each code's sum in triangle order.
  const norms = DISTINCT_NORMALS.normals.map((n) => {
    const x0 = n[0]! * s1 * s2;
    const x1 = n[1]! * s0 * s2;
    const x2 = n[2]! * s0 * s1;
    return Math.sqrt(fma(x2, x2, fma(x1, x1, x0 * x0)));
  });
  const out = new Float64Array(256);
  for (let code = 0; code < 256; code++) {
    let sum = 0;
    for (const k of DISTINCT_NORMALS.byCode[code]!) sum += norms[k]!;
    out[code] = sum;
  }
  return out;
}

/**
 * The area table of the same voxels stored with their array axes rotated to the order (2, 0, 1): new axis 0 is
 * original axis 2, new axis 1 original axis 0, new axis 2 original axis 1. A neighbour code has bit
 * 7 - (4 d0 + 2 d1 + d2) for the voxel at offset (d0, d1, d2) of its 2x2x2 neighbourhood (./surface/border.ts); the
 * voxel at offset (e0, e1, e2) in the new axes is at (e1, e2, e0) in the original ones, so each new code takes the
 * original entry of its bits moved there: the values are the original table's, unchanged. Used for the official 2D
 * slab (H, W, 1), scored as the same voxels in the layout (1, H, W). At that slab's spacing [1, 1, 1] the table is the
 * same in every axis order (its normals' components are multiples of 1/8, so every norm is exact); the rotation keeps
 * the mapping right whatever the spacing.
 * @param table Float64Array(256) of {@link surfelAreaTable}
 * @returns a new Float64Array(256)
 */
export function rotatedAreaTable(table: Float64Array): Float64Array {
  const out = new Float64Array(256);
  for (let code = 0; code < 256; code++) out[code] = table[ROTATED_CODE[code]!]!;
  return out;
}

/** For each neighbour code in the axis order (2, 0, 1), the code of the same voxels in the original order (see {@link rotatedAreaTable}). */
const ROTATED_CODE = Uint8Array.from({ length: 256 }, (_, code) => {
  let original = 0;
  for (let e = 0; e < 8; e++) {
    if (((code >>> (7 - e)) & 1) === 0) continue;
    const e0 = e >>> 2;
    const e1 = (e >>> 1) & 1;
    const e2 = e & 1;
    original |= 1 << (7 - (4 * e1 + 2 * e2 + e0));
  }
  return original;
});

/**
 * Contour length of each 2x2 neighbour code 0..15 at 2D spacing [s0, s1] (DeepMind surface-distance HEAD
 * `create_table_neighbour_code_to_contour_length`; code = 8*p[i-1,j-1] + 4*p[i-1,j] + 2*p[i,j-1] + p[i,j]).
 * Used only by strict mode's true 2D contour NSD.
 * @returns Float64Array(16); entries 0 and 15 are 0.
 */
export function contourLengthTable(spacing: readonly number[]): Float64Array {
  const [s0, s1] = spacing as [number, number];
  const vertical = s0;
  const horizontal = s1;
  const diag = 0.5 * Math.sqrt(s0 ** 2 + s1 ** 2);
  const t = new Float64Array(16);
  t[0b0001] = diag;
  t[0b0010] = diag;
  t[0b0011] = horizontal;
  t[0b0100] = diag;
  t[0b0101] = vertical;
  t[0b0110] = 2 * diag;
  t[0b0111] = diag;
  t[0b1000] = diag;
  t[0b1001] = 2 * diag;
  t[0b1010] = vertical;
  t[0b1011] = diag;
  t[0b1100] = horizontal;
  t[0b1101] = diag;
  t[0b1110] = diag;
  return t;
}

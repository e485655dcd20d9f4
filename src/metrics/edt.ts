/**
 * Exact Euclidean distance transform (Felzenszwalb & Huttenlocher 2012, linear time) on a 3D lattice with
 * anisotropic spacing. The passes run along axis 0, then 1, then 2, so the value at every point is
 * `((d0*s0)^2 + (d1*s1)^2) + (d2*s2)^2` for the integer offset d of the feature it picked — the same float
 * expression scipy.ndimage.distance_transform_edt evaluates (../shared/docs/METRICS.md section 5.6).
 */

/**
 * Squared distance (mm^2) from every lattice point to the nearest feature point.
 * @param features Uint8Array of dims[0]*dims[1]*dims[2] (C order), non-zero = feature.
 * @param dims lattice extents [c0, c1, c2] (use c2 = 1 for a 2D lattice).
 * @param spacing [s0, s1, s2] in mm (s2 is unused when c2 = 1).
 * @returns Float64Array of squared distances; +Infinity everywhere when there is no feature.
 */
export function squaredEdt(features: Uint8Array, dims: readonly [number, number, number], spacing: readonly number[]): Float64Array {
  const [c0, c1, c2] = dims;
  const [s0, s1, s2] = spacing as [number, number, number];
  const n = c0 * c1 * c2;
  const out = new Float64Array(n);
  const plane = c1 * c2;
  // Pass 1, axis 0: exact 1D distance to the nearest feature along each column, plane by plane (sequential memory).
  const near = new Int32Array(plane).fill(-1);
  for (let i = 0; i < c0; i++) {
    const off = i * plane;
    for (let jk = 0; jk < plane; jk++) {
      if (features[off + jk]) near[jk] = i;
      const a = near[jk]!;
      if (a >= 0) {
        const d = (i - a) * s0;
        out[off + jk] = d * d;
      } else out[off + jk] = Infinity;
    }
  }
  near.fill(-1);
  for (let i = c0 - 1; i >= 0; i--) {
    const off = i * plane;
    for (let jk = 0; jk < plane; jk++) {
      if (features[off + jk]) near[jk] = i;
      const a = near[jk]!;
      if (a >= 0) {
        const d = (a - i) * s0;
        const v = d * d;
        if (v < out[off + jk]!) out[off + jk] = v;
      }
    }
  }
  const maxLen = Math.max(c0, c1, c2);
  const f = new Float64Array(maxLen);
  const d = new Float64Array(maxLen);
  const v = new Int32Array(maxLen);
  const z = new Float64Array(maxLen + 1);
  const line = (len: number, s: number): void => {
    // Lower envelope of parabolas f[q] + ((p - q)*s)^2 over finite f.
    let k = -1;
    const s2x2 = 2 * s * s;
    for (let q = 0; q < len; q++) {
      const fq = f[q]!;
      if (fq === Infinity) continue;
      if (k < 0) {
        k = 0;
        v[0] = q;
        z[0] = -Infinity;
        z[1] = Infinity;
        continue;
      }
      const qs = q * s;
      let x: number;
      for (;;) {
        const vk = v[k]!;
        const vs = vk * s;
        x = (fq + qs * qs - (f[vk]! + vs * vs)) / (s2x2 * (q - vk));
        if (x <= z[k]! && k > 0) k--;
        else break;
      }
      if (x <= z[k]!) {
        // k === 0 and the new parabola dominates the first one everywhere.
        v[0] = q;
        z[0] = -Infinity;
        z[1] = Infinity;
        continue;
      }
      k++;
      v[k] = q;
      z[k] = x;
      z[k + 1] = Infinity;
    }
    if (k < 0) {
      for (let p = 0; p < len; p++) d[p] = Infinity;
      return;
    }
    let j = 0;
    for (let p = 0; p < len; p++) {
      while (z[j + 1]! < p) j++;
      const vj = v[j]!;
      const dd = (p - vj) * s;
      d[p] = f[vj]! + dd * dd;
    }
  };
  // Pass 2, axis 1.
  if (c1 > 1) {
    for (let i = 0; i < c0; i++) {
      for (let k = 0; k < c2; k++) {
        const base = i * plane + k;
        for (let j = 0; j < c1; j++) f[j] = out[base + j * c2]!;
        line(c1, s1);
        for (let j = 0; j < c1; j++) out[base + j * c2] = d[j]!;
      }
    }
  }
  // Pass 3, axis 2.
  if (c2 > 1) {
    for (let r = 0; r < c0 * c1; r++) {
      const base = r * c2;
      for (let k = 0; k < c2; k++) f[k] = out[base + k]!;
      line(c2, s2);
      for (let k = 0; k < c2; k++) out[base + k] = d[k]!;
    }
  }
  return out;
}

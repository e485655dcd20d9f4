/**
 * OpenCV 4.6 `cv2.resize(INTER_AREA)` for uint8 images, bit for bit (rules: ../shared/golden/pipeline/README.md "The
 * exact OpenCV INTER_AREA rule", from OpenCV's `modules/imgproc/src/resize.cpp`): the dispatch, the integer fast
 * shrink, the generic shrink, the fixed-point enlarging path, and the longest-side resize of the reference.
 */
import { rint } from '../../text/numbers.js';
import { FRAME, memo, type Image8 } from './common.js';

const fround = Math.fround;

/**
 * Output size of the longest-side resize: scale = target / max(H,W) (float64), new size =
 * (int(H*scale + 0.5), int(W*scale + 0.5)) as `resize_longest_side` of CVPR24_LiteMedSAM_infer.py.
 * @throws Error when a side would become 0 (aspect ratio above 2*target:1; OpenCV raises `inv_scale_x > 0`) or an input
 *   side is < 1.
 */
export function longestSideSize(height: number, width: number, target = FRAME): [number, number] {
  if (!(height >= 1 && width >= 1)) throw new Error(`cannot resize an image of size ${height}x${width}`);
  const scale = target / Math.max(height, width);
  const newH = Math.trunc(height * scale + 0.5);
  const newW = Math.trunc(width * scale + 0.5);
  if (newH < 1 || newW < 1) {
    throw new Error(
      `image of size ${height}x${width} (aspect ratio above ${2 * target}:1) would be resized to ${newH}x${newW}; ` +
        `the reference crashes here (OpenCV: inv_scale_x > 0)`,
    );
  }
  return [newH, newW];
}

/** Which OpenCV INTER_AREA code path a resize takes (golden README "0. Dispatch"). */
export type InterAreaPath = 'copy' | 'area_fast_2x2' | 'area_fast_int' | 'area_generic' | 'area_upscale_linear_fixedpoint';

/** The OpenCV INTER_AREA dispatch for uint8 (resize.cpp): copy, integer fast shrink, generic shrink, or enlarging. */
export function interAreaPath(srcH: number, srcW: number, dstH: number, dstW: number): InterAreaPath {
  if (srcH === dstH && srcW === dstW) return 'copy';
  const scaleX = 1 / (dstW / srcW);
  const scaleY = 1 / (dstH / srcH);
  if (scaleX >= 1 && scaleY >= 1) {
    const kx = Math.round(scaleX);
    const ky = Math.round(scaleY);
    if (Math.abs(scaleX - kx) < 2 ** -52 && Math.abs(scaleY - ky) < 2 ** -52) {
      return kx === 2 && ky === 2 ? 'area_fast_2x2' : 'area_fast_int';
    }
    return 'area_generic';
  }
  return 'area_upscale_linear_fixedpoint';
}

/**
 * `cv2.resize(src, (dstW, dstH), interpolation=cv2.INTER_AREA)` for uint8 images with any channel count, bit for bit
 * (OpenCV 4.6; rules in golden/pipeline README "The exact OpenCV INTER_AREA rule").
 * @param src interleaved uint8 image (H, W, C)
 * @returns a new uint8 image (dstH, dstW, C); for an identity size a copy.
 * @throws Error for a destination or source side < 1.
 */
function resizeInterArea(src: Image8, dstH: number, dstW: number): Image8 {
  return resizeInterAreaRegion(src, dstH, dstW);
}

/** Inclusive output row/column ranges to compute; outputs outside are left 0. */
export interface Region {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

/**
 * {@link resizeInterArea} computing only the outputs in `region` (others 0). Exact for every computed output: the
 * tap tables are those of the full geometry.
 */
export function resizeInterAreaRegion(src: Image8, dstH: number, dstW: number, region?: Region): Image8 {
  const { height: sh, width: sw, channels: cn } = src;
  if (!(sh >= 1 && sw >= 1 && dstH >= 1 && dstW >= 1 && cn >= 1)) {
    throw new Error(`INTER_AREA resize ${sh}x${sw}x${cn} -> ${dstH}x${dstW}: every size must be >= 1`);
  }
  if (src.data.length !== sh * sw * cn) {
    throw new Error(`image data has ${src.data.length} values, expected ${sh}*${sw}*${cn} = ${sh * sw * cn}`);
  }
  const r = region ?? { y0: 0, y1: dstH - 1, x0: 0, x1: dstW - 1 };
  const path = interAreaPath(sh, sw, dstH, dstW);
  switch (path) {
    case 'copy':
      return { data: src.data.slice(), height: sh, width: sw, channels: cn };
    case 'area_fast_2x2':
    case 'area_fast_int':
      return areaFast(src, dstH, dstW, Math.round(sw / dstW), Math.round(sh / dstH), r);
    case 'area_generic':
      return areaGeneric(src, dstH, dstW, r);
    default:
      return areaUpscale(src, dstH, dstW, r);
  }
}

/**
 * Outputs [lo, hi] (inclusive) of one axis whose source footprint intersects source range [a, b]; lo > hi if none.
 * Every INTER_AREA path maps an all-zero footprint to 0, so outputs outside this range are 0 when the source is 0
 * outside [a, b].
 */
export function outputRange(path: InterAreaPath, ssize: number, dsize: number, a: number, b: number): [number, number] {
  const lo = new Int32Array(dsize);
  const hi = new Int32Array(dsize);
  if (path === 'copy') {
    for (let d = 0; d < dsize; d++) lo[d] = hi[d] = d;
  } else if (path === 'area_fast_2x2' || path === 'area_fast_int') {
    const k = Math.round(ssize / dsize);
    for (let d = 0; d < dsize; d++) {
      lo[d] = d * k;
      hi[d] = d * k + k - 1;
    }
  } else if (path === 'area_generic') {
    const t = areaTab(ssize, dsize);
    lo.fill(ssize);
    hi.fill(-1);
    for (let k = 0; k < t.n; k++) {
      const d = t.di[k]!;
      lo[d] = Math.min(lo[d]!, t.si[k]!);
      hi[d] = Math.max(hi[d]!, t.si[k]!);
    }
  } else {
    const ax = upscaleAxis(ssize, dsize);
    for (let d = 0; d < dsize; d++) {
      if (d < ax.dmax) {
        lo[d] = ax.s[d]!;
        hi[d] = Math.min(ax.s[d]! + 1, ssize - 1);
      } else lo[d] = hi[d] = ssize - 1;
    }
  }
  let first = -1;
  let last = -2;
  for (let d = 0; d < dsize; d++) {
    if (hi[d]! >= a && lo[d]! <= b) {
      if (first < 0) first = d;
      last = d;
    }
  }
  return first < 0 ? [1, 0] : [first, last];
}

/**
 * Longest-side INTER_AREA resize to `target` (`resize_longest_side` of the reference), uint8 output.
 * @throws Error for degenerate sizes (see {@link longestSideSize}).
 */
export function resizeLongestSide(src: Image8, target = FRAME): Image8 {
  const [newH, newW] = longestSideSize(src.height, src.width, target);
  return resizeInterArea(src, newH, newW);
}

/** Integer-factor shrink: 2x2 `(a+b+c+d+2)>>2`; else rint(f32(sum) * f32(1/(kx*ky))). */
function areaFast(src: Image8, dh: number, dw: number, kx: number, ky: number, r: Region): Image8 {
  const { width: sw, channels: cn, data: S } = src;
  const out = new Uint8Array(dh * dw * cn);
  const rowStride = sw * cn;
  if (kx === 2 && ky === 2) {
    for (let y = r.y0; y <= r.y1; y++) {
      const r0 = 2 * y * rowStride;
      const r1 = r0 + rowStride;
      let o = (y * dw + r.x0) * cn;
      for (let x = r.x0; x <= r.x1; x++) {
        const base = 2 * x * cn;
        for (let c = 0; c < cn; c++) {
          const i = base + c;
          out[o++] = (S[r0 + i]! + S[r0 + i + cn]! + S[r1 + i]! + S[r1 + i + cn]! + 2) >> 2;
        }
      }
    }
    return { data: out, height: dh, width: dw, channels: cn };
  }
  const scale = fround(1 / (kx * ky));
  // Column sums per source row band, then horizontal sums: integer arithmetic, exact in any order.
  const colSum = new Int32Array(sw * cn);
  const c0 = r.x0 * kx * cn;
  const c1 = (r.x1 + 1) * kx * cn;
  for (let y = r.y0; y <= r.y1; y++) {
    colSum.fill(0);
    for (let j = 0; j < ky; j++) {
      const row = (y * ky + j) * rowStride;
      for (let i = c0; i < c1; i++) colSum[i]! += S[row + i]!;
    }
    let o = (y * dw + r.x0) * cn;
    for (let x = r.x0; x <= r.x1; x++) {
      const base = x * kx * cn;
      for (let c = 0; c < cn; c++) {
        let sum = 0;
        for (let i = 0; i < kx; i++) sum += colSum[base + i * cn + c]!;
        const v = rint(fround(sum * scale));
        out[o++] = v > 255 ? 255 : v;
      }
    }
  }
  return { data: out, height: dh, width: dw, channels: cn };
}

/** One axis' tap table of OpenCV's `computeResizeAreaTab` (dst index, src index, float32 alpha), in order. */
interface AreaTab {
  di: Int32Array;
  si: Int32Array;
  alpha: Float32Array;
  n: number;
}

function areaTab(ssize: number, dsize: number): AreaTab {
  const scale = 1 / (dsize / ssize);
  const cap = ssize + 2 * dsize + 2;
  const di = new Int32Array(cap);
  const si = new Int32Array(cap);
  const alpha = new Float32Array(cap);
  let n = 0;
  for (let d = 0; d < dsize; d++) {
    const f1 = d * scale;
    const f2 = f1 + scale;
    const cell = Math.min(scale, ssize - f1);
    let s1 = Math.ceil(f1);
    const s2 = Math.min(Math.floor(f2), ssize - 1);
    s1 = Math.min(s1, s2);
    if (s1 - f1 > 1e-3) {
      di[n] = d;
      si[n] = s1 - 1;
      alpha[n++] = (s1 - f1) / cell;
    }
    for (let s = s1; s < s2; s++) {
      di[n] = d;
      si[n] = s;
      alpha[n++] = 1 / cell;
    }
    if (f2 - s2 > 1e-3) {
      di[n] = d;
      si[n] = s2;
      alpha[n++] = Math.min(Math.min(f2 - s2, 1), cell) / cell;
    }
  }
  return { di, si, alpha, n };
}

/** Generic non-integer shrink: separable area weights, float32 accumulation without FMA, round half even. */
function areaGeneric(src: Image8, dh: number, dw: number, r: Region): Image8 {
  const { height: sh, width: sw, channels: cn, data: S } = src;
  const xt = memo(`tab ${sw} ${dw}`, () => areaTab(sw, dw));
  const yt = memo(`tab ${sh} ${dh}`, () => areaTab(sh, dh));
  const rowLen = dw * cn;
  const buf = new Float32Array(rowLen);
  const sum = new Float32Array(rowLen);
  const out = new Uint8Array(dh * rowLen);
  // x taps as interleaved offsets; taps of one destination pixel are consecutive, so each destination value is
  // accumulated in registers (buf starts at 0 and 0 + x == x, so this equals OpenCV's buf[d] += ...).
  // Keep the x taps of the region's columns (taps are ordered by destination index).
  let kStart = 0;
  while (kStart < xt.n && xt.di[kStart]! < r.x0) kStart++;
  let kEnd = kStart;
  while (kEnd < xt.n && xt.di[kEnd]! <= r.x1) kEnd++;
  const xn = kEnd - kStart;
  const xdi = new Int32Array(xn);
  const xsi = new Int32Array(xn);
  const xa = xt.alpha.subarray(kStart, kEnd);
  for (let k = 0; k < xn; k++) {
    xdi[k] = xt.di[kStart + k]! * cn;
    xsi[k] = xt.si[kStart + k]! * cn;
  }
  const i0 = r.x0 * cn;
  const i1 = (r.x1 + 1) * cn;
  const rowPass = (sy: number): void => {
    const rb = sy * sw * cn;
    let k = 0;
    if (cn === 3) {
      while (k < xn) {
        const d = xdi[k]!;
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        do {
          const a = xa[k]!;
          const p = rb + xsi[k]!;
          a0 = fround(a0 + fround(S[p]! * a));
          a1 = fround(a1 + fround(S[p + 1]! * a));
          a2 = fround(a2 + fround(S[p + 2]! * a));
          k++;
        } while (k < xn && xdi[k] === d);
        buf[d] = a0;
        buf[d + 1] = a1;
        buf[d + 2] = a2;
      }
    } else if (cn === 1) {
      while (k < xn) {
        const d = xdi[k]!;
        let a0 = 0;
        do {
          a0 = fround(a0 + fround(S[rb + xsi[k]!]! * xa[k]!));
          k++;
        } while (k < xn && xdi[k] === d);
        buf[d] = a0;
      }
    } else {
      buf.fill(0);
      for (k = 0; k < xn; k++) {
        const a = xa[k]!;
        const d0 = xdi[k]!;
        const s0 = rb + xsi[k]!;
        for (let c = 0; c < cn; c++) buf[d0 + c] = buf[d0 + c]! + fround(S[s0 + c]! * a);
      }
    }
  };
  let lastRow = -1;
  let prevDy = -1;
  const flush = (dy: number) => {
    const o = dy * rowLen;
    for (let i = i0; i < i1; i++) {
      const v = rint(sum[i]!);
      out[o + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  };
  for (let j = 0; j < yt.n; j++) {
    const dy = yt.di[j]!;
    if (dy < r.y0 || dy > r.y1) continue;
    const sy = yt.si[j]!;
    const beta = yt.alpha[j]!;
    if (sy !== lastRow) {
      rowPass(sy);
      lastRow = sy;
    }
    if (dy !== prevDy) {
      if (prevDy >= 0) flush(prevDy);
      for (let i = i0; i < i1; i++) sum[i] = beta * buf[i]!;
      prevDy = dy;
    } else {
      for (let i = i0; i < i1; i++) sum[i] = sum[i]! + fround(beta * buf[i]!);
    }
  }
  if (prevDy >= 0) flush(prevDy);
  return { data: out, height: dh, width: dw, channels: cn };
}

/** Per-axis coefficients of OpenCV's INTER_AREA enlarging path (11-bit fixed point). */
function upscaleAxis(ssize: number, dsize: number): { s: Int32Array; c0: Int32Array; c1: Int32Array; dmax: number } {
  const inv = dsize / ssize;
  const scale = 1 / inv;
  const s = new Int32Array(dsize);
  const c0 = new Int32Array(dsize);
  const c1 = new Int32Array(dsize);
  let dmax = dsize;
  for (let d = 0; d < dsize; d++) {
    let sx = Math.floor(d * scale);
    let f = fround(d + 1 - (sx + 1) * inv);
    f = f <= 0 ? 0 : fround(f - Math.floor(f));
    if (sx + 1 >= ssize) {
      if (dmax === dsize) dmax = d;
      if (sx >= ssize - 1) {
        sx = ssize - 1;
        f = 0;
      }
    }
    s[d] = sx;
    c0[d] = rint(fround(1 - f) * 2048);
    c1[d] = rint(f * 2048);
  }
  return { s, c0, c1, dmax };
}

/** Enlarging INTER_AREA: area coverage in 11-bit fixed point (NOT bilinear); integer factors replicate pixels. */
function areaUpscale(src: Image8, dh: number, dw: number, r: Region): Image8 {
  const { height: sh, width: sw, channels: cn, data: S } = src;
  const xa = memo(`up ${sw} ${dw}`, () => upscaleAxis(sw, dw));
  const ya = memo(`up ${sh} ${dh}`, () => upscaleAxis(sh, dh));
  const rowLen = dw * cn;
  const i0 = r.x0 * cn;
  const i1 = (r.x1 + 1) * cn;
  // Horizontal pass (int32) of each source row the region uses, computed once.
  // Only the band of source rows the region's output rows read.
  const rowLo = r.y0 <= r.y1 ? ya.s[r.y0]! : 0;
  const rowHi = r.y0 <= r.y1 ? Math.min(ya.s[r.y1]! + 1, sh - 1) : -1;
  const hrows = new Int32Array(Math.max(0, rowHi - rowLo + 1) * rowLen);
  const done = new Uint8Array(Math.max(0, rowHi - rowLo + 1));
  const hpass = (row: number): void => {
    if (done[row - rowLo]) return;
    done[row - rowLo] = 1;
    const sb = row * sw * cn;
    const hb = (row - rowLo) * rowLen;
    for (let d = r.x0; d <= r.x1; d++) {
      const o = hb + d * cn;
      if (d < xa.dmax) {
        const s0 = sb + xa.s[d]! * cn;
        const a0 = xa.c0[d]!;
        const a1 = xa.c1[d]!;
        for (let c = 0; c < cn; c++) hrows[o + c] = S[s0 + c]! * a0 + S[s0 + cn + c]! * a1;
      } else {
        const s0 = sb + (sw - 1) * cn;
        for (let c = 0; c < cn; c++) hrows[o + c] = S[s0 + c]! * 2048;
      }
    }
  };
  const out = new Uint8Array(dh * rowLen);
  for (let d = r.y0; d <= r.y1; d++) {
    const r0 = ya.s[d]!;
    const r1 = Math.min(r0 + 1, sh - 1);
    hpass(r0);
    hpass(r1);
    const b0 = ya.c0[d]!;
    const b1 = ya.c1[d]!;
    const h0 = (r0 - rowLo) * rowLen;
    const h1 = (r1 - rowLo) * rowLen;
    const o = d * rowLen;
    for (let i = i0; i < i1; i++) {
      const v = (((b0 * (hrows[h0 + i]! >> 4)) >> 16) + ((b1 * (hrows[h1 + i]! >> 4)) >> 16) + 2) >> 2;
      out[o + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return { data: out, height: dh, width: dw, channels: cn };
}

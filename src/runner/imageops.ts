/**
 * Image operations of the LiteMedSAM reference pipeline (../shared/docs/PIPELINE.md), on typed arrays, reproducing
 * OpenCV 4.6 `cv2.resize(INTER_AREA)` and torch 1.13 `F.interpolate(bilinear, align_corners=False)` + `sigmoid > 0.5`
 * bit for bit. The exact arithmetic rules come from ../shared/golden/pipeline/README.md (written from OpenCV's
 * `modules/imgproc/src/resize.cpp` and torch's `UpSampleKernel.cpp`) and are tested against its golden vectors.
 *
 * Conventions: images are interleaved (row-major, channels last) `Uint8Array`s of `height*width*channels`;
 * coordinates x = column, y = row; boxes are inclusive pixel coordinates `[x_min, y_min, x_max, y_max]`.
 */

/** Side length of the model's square input frame (LiteMedSAM: 256). */
export const FRAME = 256;

/**
 * `torch.sigmoid(v) > 0.5` in float32 is true iff `v > T` with T = 1.5 * 2^-24 (float32 bits 0x33c00000); NaN gives
 * false. Source: golden/pipeline README "Mask rule" (checked over all 2^32 float32 bit patterns). NOT `v > 0`.
 */
export const SIGMOID_HALF_THRESHOLD = 1.5 * 2 ** -24;

/** A uint8 image, channels last. */
export interface Image8 {
  data: Uint8Array;
  height: number;
  width: number;
  channels: number;
}

const fround = Math.fround;

/** Small memo of per-axis tables keyed by (kind, in size, out size): a case reuses the same few geometries. */
const tableMemo = new Map<string, unknown>();
function memo<T>(key: string, make: () => T): T {
  let v = tableMemo.get(key) as T | undefined;
  if (v === undefined) {
    if (tableMemo.size > 64) tableMemo.clear();
    v = make();
    tableMemo.set(key, v);
  }
  return v;
}

/** Round half to even (numpy / C `rint` / OpenCV `cvRound`); `Math.round` rounds halves up and is NOT this. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

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
export function resizeInterArea(src: Image8, dstH: number, dstW: number): Image8 {
  return resizeInterAreaRegion(src, dstH, dstW);
}

/** Inclusive output row/column ranges to compute; outputs outside are left 0. */
interface Region {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

/**
 * {@link resizeInterArea} computing only the outputs in `region` (others 0). Exact for every computed output: the
 * tap tables are those of the full geometry.
 */
function resizeInterAreaRegion(src: Image8, dstH: number, dstW: number, region?: Region): Image8 {
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
function outputRange(path: InterAreaPath, ssize: number, dsize: number, a: number, b: number): [number, number] {
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

/** Integer-factor shrink: 2x2 `(a+b+c+d+2)>>2`; else roundHalfEven(f32(sum) * f32(1/(kx*ky))). */
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
        const v = roundHalfEven(fround(sum * scale));
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
      const v = roundHalfEven(sum[i]!);
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
    c0[d] = roundHalfEven(fround(1 - f) * 2048);
    c1[d] = roundHalfEven(f * 2048);
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

/**
 * Min-max normalise a resized uint8 image with ONE min and max over all pixels and channels, zero-pad bottom/right to
 * FRAME x FRAME, and lay it out channel-first as the encoder input float32 [1,3,FRAME,FRAME].
 * Value = f32(x - min) / f32(max(max - min, 1e-8)) as a float32 TRUE division (equal to the reference's float64
 * division cast to float32; multiplying by 1/range is NOT equal). A 1-channel image is repeated to 3 channels
 * (as the reference's 3D `np.repeat`, whose channels are identical).
 * @param img resized image (newH <= FRAME, newW <= FRAME, C in {1,3})
 * @param out optional destination of length 3*FRAME*FRAME (overwritten)
 * @throws Error when the image exceeds the frame or has another channel count.
 */
export function normalizePad(img: Image8, out?: Float32Array): Float32Array {
  const { height: h, width: w, channels: cn, data } = img;
  if (h > FRAME || w > FRAME) throw new Error(`normalizePad: image ${h}x${w} exceeds the ${FRAME}x${FRAME} frame`);
  if (cn !== 1 && cn !== 3) throw new Error(`normalizePad: expected 1 or 3 channels, found ${cn}`);
  const plane = FRAME * FRAME;
  const x = out ?? new Float32Array(3 * plane);
  if (x.length !== 3 * plane) throw new Error(`normalizePad: output must have ${3 * plane} values`);
  x.fill(0);
  let mn = 255;
  let mx = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  const range = Math.max(mx - mn, 1e-8);
  // Lookup table: the 256 possible values (exact float32 division of two small integers).
  const lut = new Float32Array(256);
  for (let q = mn; q <= mx; q++) lut[q] = (q - mn) / range;
  if (cn === 1) {
    for (let y = 0; y < h; y++) {
      const o = y * FRAME;
      const s = y * w;
      for (let xx = 0; xx < w; xx++) x[o + xx] = lut[data[s + xx]!]!;
    }
    x.copyWithin(plane, 0, plane);
    x.copyWithin(2 * plane, 0, plane);
  } else {
    for (let y = 0; y < h; y++) {
      const o = y * FRAME;
      let s = y * w * 3;
      for (let xx = 0; xx < w; xx++) {
        x[o + xx] = lut[data[s++]!]!;
        x[plane + o + xx] = lut[data[s++]!]!;
        x[2 * plane + o + xx] = lut[data[s++]!]!;
      }
    }
  }
  return x;
}

/**
 * Rescale a box to the FRAME frame as `resize_box_to_256`: ratio = FRAME / max(H,W) computed FIRST in float64, then
 * int(coord * ratio) (truncation toward zero). `int(coord * 256 / max)` differs (side 98, coord 49: 127 vs 128).
 * @param box any number of coordinates (x_min, y_min, x_max, y_max)
 * @param height original image height, `width` original width (pixels)
 */
export function box256(box: ArrayLike<number>, height: number, width: number): number[] {
  const ratio = FRAME / Math.max(height, width);
  const out = new Array<number>(box.length);
  for (let i = 0; i < box.length; i++) out[i] = Math.trunc(box[i]! * ratio) + 0; // + 0 turns -0 into 0
  return out;
}

/**
 * The 3D propagation prompt `get_bbox256` of the reference: resize the previous slice's mask (values {0,k}, uint8,
 * k = box index capped at 255) with the same longest-side INTER_AREA resize, and if any resized pixel is > 0 take the
 * tight box of the non-zero pixels in the zero-padded FRAME frame, widened by 3 px and clamped to [0, FRAME] (FRAME,
 * not FRAME-1). Partially covered pixels survive iff round(coverage*k) > 0, so the box depends on k.
 * @param mask (H, W) uint8 with values {0, k}
 * @param rowsHint optional inclusive row range known to contain every non-zero pixel (only it is scanned)
 * @returns [x_min, y_min, x_max, y_max], or null when the resized mask is empty (caller falls back to box256 of mid2d).
 */
export function bbox256FromMask(
  mask: Uint8Array,
  height: number,
  width: number,
  shift = 3,
  rowsHint?: [number, number],
): number[] | null {
  // Only outputs whose source footprint touches the mask's non-zero bounding box can be non-zero: resize that region.
  let sy0 = height;
  let sy1 = -1;
  let sx0 = width;
  let sx1 = -1;
  const scanY0 = rowsHint ? Math.max(0, rowsHint[0]) : 0;
  const scanY1 = rowsHint ? Math.min(height - 1, rowsHint[1]) : height - 1;
  for (let y = scanY0; y <= scanY1; y++) {
    const o = y * width;
    for (let x = 0; x < width; x++) {
      if (mask[o + x] !== 0) {
        if (sy0 > y) sy0 = y;
        sy1 = y;
        if (x < sx0) sx0 = x;
        if (x > sx1) sx1 = x;
      }
    }
  }
  if (sy1 < 0) return null;
  const [newH, newW] = longestSideSize(height, width);
  const path = interAreaPath(height, width, newH, newW);
  const [y0, y1] = outputRange(path, height, newH, sy0, sy1);
  const [x0, x1] = outputRange(path, width, newW, sx0, sx1);
  if (y0 > y1 || x0 > x1) return null;
  const region = { y0, y1, x0, x1 };
  const r = resizeInterAreaRegion({ data: mask, height, width, channels: 1 }, newH, newW, region);
  return tightBox(r.data, r.height, r.width, shift, region);
}

/** Tight box of pixels > 0 widened by `shift` and clamped to [0, FRAME]; null when all pixels are 0. */
export function tightBox(m: Uint8Array, h: number, w: number, shift = 3, region?: Region): number[] | null {
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  const ry0 = region?.y0 ?? 0;
  const ry1 = region?.y1 ?? h - 1;
  const rx0 = region?.x0 ?? 0;
  const rx1 = region?.x1 ?? w - 1;
  for (let y = ry0; y <= ry1; y++) {
    const o = y * w;
    let first = -1;
    let last = -1;
    for (let x = rx0; x <= rx1; x++) {
      if (m[o + x] !== 0) {
        if (first < 0) first = x;
        last = x;
      }
    }
    if (first >= 0) {
      if (y0 > y) y0 = y;
      y1 = y;
      if (first < x0) x0 = first;
      if (last > x1) x1 = last;
    }
  }
  if (x1 < 0) return null;
  return [Math.max(0, x0 - shift), Math.max(0, y0 - shift), Math.min(FRAME, x1 + shift), Math.min(FRAME, y1 + shift)];
}

/** Per-axis source indices and float32 weights of torch's bilinear (align_corners=False), golden README d. */
interface BilinearAxis {
  i0: Int32Array;
  i1: Int32Array;
  l0: Float32Array;
  l1: Float32Array;
}

function bilinearAxis(inSize: number, outSize: number): BilinearAxis {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const l0 = new Float32Array(outSize);
  const l1 = new Float32Array(outSize);
  if (inSize === outSize) {
    for (let o = 0; o < outSize; o++) {
      i0[o] = o;
      i1[o] = o;
      l0[o] = 1;
      l1[o] = 0;
    }
    return { i0, i1, l0, l1 };
  }
  const ratio = fround(fround(inSize) / fround(outSize));
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(ratio * (o + 0.5) - 0.5, 0);
    const a = Math.min(Math.trunc(src), inSize - 1);
    i0[o] = a;
    i1[o] = a + (a < inSize - 1 ? 1 : 0);
    const w1 = fround(Math.min(Math.max(src - a, 0), 1));
    l1[o] = w1;
    l0[o] = fround(1 - w1);
  }
  return { i0, i1, l0, l1 };
}

const f32buf = new Float32Array(1);
/** Float32 fused multiply-add a*b + c rounded once (a, b, c float32), as torch's generic bilinear kernel. */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b; // exact in double (24 x 24 bits)
  const s = p + c;
  const r = fround(s);
  if (r === s) return r;
  const bb = s - p;
  const e = p - (s - bb) + (c - bb);
  if (e === 0) return r;
  // s lies exactly half-way between two float32 iff its mirror 2s - r is a float32 too.
  const o = s + (s - r);
  f32buf[0] = o;
  if (f32buf[0] !== o) return r;
  return e > 0 ? Math.max(r, o) : Math.min(r, o);
}

/**
 * Post-processing of one decoder output into a label write: crop logits [FRAME,FRAME] to [0:newH, 0:newW], resize to
 * (H, W) with torch bilinear align_corners=False in float32 (channels-last kernel when newW == FRAME or newH == 1,
 * else the generic separable FMA kernel, as torch 1.13 picks from the cropped view's layout), then
 * `sigmoid(v) > 0.5` (i.e. v > {@link SIGMOID_HALF_THRESHOLD}). Every selected pixel of `target` is set to `label`.
 *
 * Only output pixels whose four source taps include a logit > 0 can pass the threshold (all weights are >= 0), so the
 * work is restricted to the rows/columns reached by the bounding box of positive logits; the result is identical.
 * @param logits float32 FRAME*FRAME (row-major)
 * @param target (H*W) label image to write (any typed array), or null to only count
 * @param label value written where the mask is true
 * @param resizedOut optional float32 H*W receiving the bilinear output (computed for every pixel when given)
 * @param rowsOut optional [first, last] output rows that were computed (every mask pixel lies in them; last < first
 *   when none)
 * @returns number of mask pixels
 */
export function postprocessMask(
  logits: Float32Array,
  newH: number,
  newW: number,
  height: number,
  width: number,
  target: { [i: number]: number } | null,
  label: number,
  resizedOut?: Float32Array,
  rowsOut?: Int32Array,
): number {
  if (rowsOut) {
    rowsOut[0] = 0;
    rowsOut[1] = -1;
  }
  if (logits.length !== FRAME * FRAME) throw new Error(`logits must have ${FRAME * FRAME} values, found ${logits.length}`);
  if (!(newH >= 1 && newW >= 1 && newH <= FRAME && newW <= FRAME)) throw new Error(`bad crop ${newH}x${newW}`);
  const T = SIGMOID_HALF_THRESHOLD;
  // Bounding box of positive logits inside the crop.
  let py0 = newH;
  let py1 = -1;
  let px0 = newW;
  let px1 = -1;
  if (resizedOut) {
    py0 = 0;
    py1 = newH - 1;
    px0 = 0;
    px1 = newW - 1;
  } else {
    for (let y = 0; y < newH; y++) {
      const o = y * FRAME;
      let first = -1;
      let last = -1;
      for (let x = 0; x < newW; x++) {
        if (logits[o + x]! > 0) {
          if (first < 0) first = x;
          last = x;
        }
      }
      if (first >= 0) {
        if (py0 > y) py0 = y;
        py1 = y;
        if (first < px0) px0 = first;
        if (last > px1) px1 = last;
      }
    }
    if (py1 < 0) return 0;
  }
  const ax = memo(`bl ${newW} ${width}`, () => bilinearAxis(newW, width));
  const ay = memo(`bl ${newH} ${height}`, () => bilinearAxis(newH, height));
  // Output range whose taps touch [p0, p1] (i0 is non-decreasing; i1 is i0 or i0+1).
  const range = (a: BilinearAxis, n: number, p0: number, p1: number): [number, number] => {
    let lo = 0;
    while (lo < n && a.i1[lo]! < p0) lo++;
    let hi = n - 1;
    while (hi >= lo && a.i0[hi]! > p1) hi--;
    return [lo, hi];
  };
  const [oy0, oy1] = range(ay, height, py0, py1);
  const [ox0, ox1] = range(ax, width, px0, px1);
  if (rowsOut) {
    rowsOut[0] = oy0;
    rowsOut[1] = oy1;
  }
  const channelsLast = newW === FRAME || newH === 1;
  // Identity size on both axes: a copy (equal to the kernel for finite logits; keeps +-Infinity as torch's copy does).
  const identity = newH === height && newW === width;
  let count = 0;
  for (let oy = oy0; oy <= oy1; oy++) {
    const r0 = ay.i0[oy]! * FRAME;
    const r1 = ay.i1[oy]! * FRAME;
    const lh0 = ay.l0[oy]!;
    const lh1 = ay.l1[oy]!;
    const ob = oy * width;
    for (let ox = ox0; ox <= ox1; ox++) {
      const c0 = ax.i0[ox]!;
      const c1 = ax.i1[ox]!;
      const lw0 = ax.l0[ox]!;
      const lw1 = ax.l1[ox]!;
      const x00 = logits[r0 + c0]!;
      const x01 = logits[r0 + c1]!;
      const x10 = logits[r1 + c0]!;
      const x11 = logits[r1 + c1]!;
      let v: number;
      if (identity) {
        v = x00;
      } else if (channelsLast) {
        v = fround(
          x00 * fround(lh0 * lw0) + x01 * fround(lh0 * lw1) + x10 * fround(lh1 * lw0) + x11 * fround(lh1 * lw1),
        );
      } else {
        const t0 = fma32(x00, lw0, fround(x01 * lw1));
        const t1 = fma32(x10, lw0, fround(x11 * lw1));
        v = fma32(t0, lh0, fround(t1 * lh1));
      }
      if (resizedOut) resizedOut[ob + ox] = v;
      if (v > T) {
        count++;
        if (target) target[ob + ox] = label;
      }
    }
  }
  return count;
}

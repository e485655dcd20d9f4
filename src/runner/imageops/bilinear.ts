/**
 * Post-processing of the decoder output as torch 1.13: `F.interpolate(bilinear, align_corners=False)` in float32
 * (channels-last or generic FMA kernel, from torch's `UpSampleKernel.cpp`) and `sigmoid > 0.5`, bit for bit
 * (../shared/golden/pipeline/README.md).
 */
import { FRAME, memo, SIGMOID_HALF_THRESHOLD } from './common.js';

const fround = Math.fround;

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


/**
 * Encoder input and box prompts of the reference pipeline (CVPR24_LiteMedSAM_infer.py, ../shared/docs/PIPELINE.md):
 * min-max normalisation + zero padding to the FRAME x FRAME frame, box rescaling (`resize_box_to_256`), and the 3D
 * propagation prompt from the previous slice's mask (`get_bbox256`).
 */
import { interAreaPath, longestSideSize, outputRange, resizeInterAreaRegion, type Region } from './area.js';
import { FRAME, type Image8 } from './common.js';

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

/**
 * Quantization arithmetic, as onnxruntime's quantization tool (onnxruntime/python/tools/quantization/quant_utils.py:
 * compute_scale_zp, quantize_nparray; qdq_quantizer.py: bias quantization) and the ONNX QuantizeLinear definition:
 * q = saturate(round_half_to_even(x / scale) + zero_point), round half to even being the harness's one `rint`.
 */
import { rint } from '../text/numbers.js';

export type QType = 'uint8' | 'int8';

/** [qmin, qmax] of a type; symmetric int8 uses [-127, 127] as onnxruntime (so that -max and max are both exact). */
export function qRange(t: QType, symmetric = false): [number, number] {
  if (t === 'uint8') return [0, 255];
  return symmetric ? [-127, 127] : [-128, 127];
}


/**
 * Scale and zero point of a range (compute_scale_zp): the range is widened to include 0; symmetric ranges use
 * max(|rmin|, |rmax|) on both sides and the middle zero point. A zero-width range gives scale 1, zero point
 * qmin (uint8) or 0 (symmetric) so every value 0 is exact. The scale is returned as a float32 value.
 */
export function scaleZeroPoint(rmin: number, rmax: number, t: QType, symmetric: boolean): { scale: number; zeroPoint: number } {
  const [qmin, qmax] = qRange(t, symmetric && t === 'int8');
  let lo = Math.min(rmin, 0);
  let hi = Math.max(rmax, 0);
  if (symmetric) {
    const a = Math.max(Math.abs(lo), Math.abs(hi));
    lo = -a;
    hi = a;
  }
  if (hi === lo) return { scale: 1, zeroPoint: symmetric && t === 'uint8' ? 128 : symmetric ? 0 : qmin };
  // float32 arithmetic as onnxruntime's numpy code (float32 arrays): scale = (rmax - rmin) / (qmax - qmin),
  // zero point = round(qmin - rmin / scale)
  const f = Math.fround;
  const scale = f(f(f(hi) - f(lo)) / (qmax - qmin));
  const zeroPoint = symmetric ? (t === 'uint8' ? 128 : 0) : Math.min(qmax, Math.max(qmin, rint(f(qmin - f(f(lo) / scale)))));
  return { scale, zeroPoint };
}

/** QuantizeLinear of one value (float32 division as onnxruntime, saturating). */
export function quantizeValue(x: number, scale: number, zeroPoint: number, t: QType): number {
  const [qmin, qmax] = qRange(t);
  return Math.min(qmax, Math.max(qmin, rint(Math.fround(x / scale)) + zeroPoint));
}

export interface QuantizedWeight {
  q: Int8Array | Uint8Array;
  scales: Float32Array;
  zeroPoints: Int8Array | Uint8Array;
}

/**
 * Quantize a weight tensor per channel along `axis` (or per tensor when axis is null): each channel's range is its
 * min/max (symmetric: max |w|), scale and zero point by {@link scaleZeroPoint}.
 * @param dims the tensor's shape (row-major data).
 */
export function quantizeWeight(w: Float32Array, dims: number[], axis: number | null, t: QType, symmetric: boolean): QuantizedWeight {
  const channels = axis === null ? 1 : dims[axis]!;
  const inner = axis === null ? w.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = axis === null ? 1 : dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const chOf = (i: number) => (axis === null ? 0 : Math.floor(i / inner) % channels);
  const lo = new Float64Array(channels).fill(Infinity);
  const hi = new Float64Array(channels).fill(-Infinity);
  for (let i = 0; i < w.length; i++) {
    const c = chOf(i);
    if (w[i]! < lo[c]!) lo[c] = w[i]!;
    if (w[i]! > hi[c]!) hi[c] = w[i]!;
  }
  const scales = new Float32Array(channels);
  const zeroPoints = t === 'int8' ? new Int8Array(channels) : new Uint8Array(channels);
  for (let c = 0; c < channels; c++) {
    const { scale, zeroPoint } = scaleZeroPoint(lo[c]!, hi[c]!, t, symmetric);
    scales[c] = scale;
    zeroPoints[c] = zeroPoint;
  }
  const q = t === 'int8' ? new Int8Array(w.length) : new Uint8Array(w.length);
  void outer;
  for (let i = 0; i < w.length; i++) {
    const c = chOf(i);
    q[i] = quantizeValue(w[i]!, scales[c]!, zeroPoints[c]!, t);
  }
  return { q, scales, zeroPoints };
}

/**
 * Quantize a bias to int32 with scale input_scale * weight_scale[c] (zero point 0), as onnxruntime's
 * quantize_bias_static; a zero product scale gives scale 1 (the bias is then 0 after rounding only if it was 0).
 */
export function quantizeBias(b: Float32Array, inputScale: number, weightScales: Float32Array): { q: Int32Array; scales: Float32Array } {
  const scales = new Float32Array(b.length);
  const q = new Int32Array(b.length);
  for (let c = 0; c < b.length; c++) {
    let s = Math.fround(inputScale * weightScales[weightScales.length === 1 ? 0 : c]!);
    if (s === 0) s = 1;
    scales[c] = s;
    q[c] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, rint(Math.fround(b[c]! / s))));
  }
  return { q, scales };
}

/**
 * Streaming calibration statistics of one float tensor and the calibration ranges derived from them, by the rules of
 * onnxruntime's quantization tool (onnxruntime/python/tools/quantization/calibrate.py, read at commit
 * b15ffcdd9e362b9bd2e809b79b02b76611e281f1 and a recent main; the histogram and threshold code is the same in both):
 *
 * - minmax: MinMaxCalibrater — [min, max] of all values.
 * - percentile: HistogramCollector.collect_absolute_value + compute_percentile with create_calibrator's defaults
 *   (num_bins 2048, percentile 99.999, symmetric True: a histogram of |x|), or collect_value with `symmetric: false`.
 * - entropy: HistogramCollector.collect_value + merge_histogram + get_entropy_threshold with the defaults
 *   (num_bins 128, num_quantized_bins 128).
 *
 * Every calibration call is one `collect()` batch: the first batch makes the histogram, later batches are merged
 * into it exactly as onnxruntime merges batches (merge_histogram: bins added at both ends with the first batch's
 * width; collect_absolute_value: edges appended with np.arange). onnxruntime's default `collect_data` stacks all
 * inputs into one batch instead, which is what keeps every tensor of every input in memory; here nothing is kept per
 * call. numpy's float32 arithmetic is reproduced where it decides a bin or a threshold (np.linspace / np.arange edges,
 * merge strides, smooth_distribution, scipy.stats.entropy with numpy's pairwise float32 sum), so the thresholds
 * equal those of onnxruntime's Python code run batch by batch on the same tensors (test/quantize/stats-ort.test.ts).
 */

const f32 = Math.fround;

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

/** Which histogram a method collects: of the values (entropy, asymmetric percentile) or of |x| (percentile). */
export interface HistogramSpec {
  kind: 'value' | 'abs';
  /** Bins of the first batch's histogram (onnxruntime's num_bins). */
  bins: number;
}

/** onnxruntime's num_bins defaults (create_calibrator): entropy 128, percentile 2048. */
export const ENTROPY_BINS = 128;
export const PERCENTILE_BINS = 2048;
/** Largest histogram a tensor may grow to (a first batch with a tiny range followed by a wide one grows it). */
export const MAX_HISTOGRAM_BINS = 1 << 22;

/**
 * The histogram `method` needs, with onnxruntime's defaults (null for minmax).
 * @param symmetric percentile only: |x| histogram and [-t, t] (onnxruntime's default through quantize_static, which
 *   passes CalibTensorRangeSymmetric only when set) or a value histogram cut on both sides.
 */
export function histogramSpec(method: CalibrationMethod, symmetric = true): HistogramSpec | null {
  if (method === 'minmax') return null;
  if (method === 'entropy') return { kind: 'value', bins: ENTROPY_BINS };
  return { kind: symmetric ? 'abs' : 'value', bins: PERCENTILE_BINS };
}

/** Bin edges as np.linspace(lo, hi, n + 1) computed in float32 (range given as float32 numpy values) or float64. */
function linspaceEdges(lo: number, hi: number, n: number, float32: boolean): Float32Array {
  const e = new Float32Array(n + 1);
  const r = float32 ? f32 : (x: number) => x;
  const delta = r(hi - lo);
  const step = r(delta / n);
  for (let k = 0; k < n; k++) e[k] = step === 0 ? r(r(r(k / n) * delta) + lo) : r(r(k * step) + lo);
  e[n] = hi;
  return e;
}

/**
 * Count `values` into the bins of `edges` as np.histogram does: edges[i] <= v < edges[i+1], the last bin closed,
 * values outside [edges[0], edges[n]] dropped. The bin is estimated from the first edge and width and then corrected
 * against the float32 edges (numpy does the same for uniform bins; for explicit edges it searches them, same result).
 */
function countInto(h: Float64Array, edges: Float32Array, values: Float32Array, offset = 0): void {
  const n = edges.length - 1;
  const lo = edges[0]!;
  const hi = edges[n]!;
  const inv = n / (hi - lo);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= lo && v <= hi)) continue;
    let b = Math.floor((v - lo) * inv);
    if (b >= n) b = n - 1;
    else if (b < 0) b = 0;
    while (b > 0 && v < edges[b]!) b--;
    while (b < n - 1 && v >= edges[b + 1]!) b++;
    h[offset + b]!++;
  }
}

/** Python `a // b` on numpy float32 scalars (npy_divmodf: (a - fmod(a, b)) / b, floored). */
function floorDivF32(a: number, b: number): number {
  const mod = f32(a % b);
  let div = f32(f32(a - mod) / b);
  if (mod !== 0 && b < 0 !== mod < 0) div = f32(div - 1);
  if (div === 0) return 0;
  let fl = Math.floor(div);
  if (div - fl > 0.5) fl += 1;
  return f32(fl);
}

/** Streaming statistics of one tensor's values over all calibration calls: min, max and the method's histogram. */
export class TensorStats {
  min = Infinity;
  max = -Infinity;
  count = 0;
  /** Bin counts (onnxruntime's hist), null for minmax. */
  hist: Float64Array | null = null;
  /** Bin edges (float32, hist.length + 1). */
  edges: Float32Array | null = null;
  /** Value histograms: half-width of the histogram range (onnxruntime's threshold). */
  threshold = 0;

  constructor(readonly spec: HistogramSpec | null) {}

  /**
   * Add the values of one call (one onnxruntime collect() batch).
   * @throws Error when a value is NaN (it would poison every range), or the histogram would exceed
   *   {@link MAX_HISTOGRAM_BINS} bins.
   */
  update(values: Float32Array, name = 'tensor'): void {
    let mn = Infinity;
    let mx = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    if (Number.isNaN(mn) || Number.isNaN(mx) || (values.length && mn === Infinity && mx === -Infinity)) {
      for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i]!)) throw new Error(`calibration tensor "${name}": NaN at flat index ${i}`);
    }
    if (!values.length) {
      mn = 0;
      mx = 0;
    }
    this.count += values.length;
    if (this.spec?.kind === 'value') this.collectValue(values, mn, mx, name);
    else if (this.spec?.kind === 'abs') this.collectAbs(values, mn, mx, name);
    this.min = Math.min(this.min, mn);
    this.max = Math.max(this.max, mx);
  }

  /** HistogramCollector.collect_value + merge_histogram. */
  private collectValue(values: Float32Array, mn: number, mx: number, name: string): void {
    const th = Math.max(Math.abs(mn), Math.abs(mx));
    const hist = (n: number, t: number): [Float64Array, Float32Array] => {
      if (n > MAX_HISTOGRAM_BINS) throw new Error(`calibration tensor "${name}": histogram would need ${n} bins (> ${MAX_HISTOGRAM_BINS}); its first call had a much smaller range than a later one`);
      // np.histogram: an empty range (all zeros) becomes [-0.5, 0.5]
      const [lo, hi] = t === 0 ? [-0.5, 0.5] : [-t, t];
      const e = linspaceEdges(lo, hi, n, true);
      const h = new Float64Array(n);
      countInto(h, e, values);
      return [h, e];
    };
    if (!this.hist) {
      [this.hist, this.edges] = hist(this.spec!.bins, th);
      this.threshold = th;
      return;
    }
    const old = this.hist;
    const oldTh = this.threshold;
    if (th <= oldTh) {
      const [h] = hist(old.length, oldTh);
      for (let i = 0; i < old.length; i++) old[i]! += h[i]!;
      return;
    }
    if (oldTh === 0) {
      const [h, e] = hist(old.length, th);
      for (let i = 0; i < old.length; i++) h[i]! += old[i]!;
      [this.hist, this.edges, this.threshold] = [h, e, th];
      return;
    }
    const stride = f32(f32(2 * oldTh) / old.length);
    const half = Math.trunc(f32(floorDivF32(f32(th - oldTh), stride) + 1));
    const newTh = f32(f32(half * stride) + oldTh);
    const [h, e] = hist(old.length + 2 * half, newTh);
    for (let i = 0; i < old.length; i++) h[half + i]! += old[i]!;
    [this.hist, this.edges, this.threshold] = [h, e, newTh];
  }

  /** HistogramCollector.collect_absolute_value. */
  private collectAbs(values: Float32Array, mn: number, mx: number, name: string): void {
    const abs = new Float32Array(values.length);
    let amin = Infinity;
    let amax = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const a = Math.abs(values[i]!);
      abs[i] = a;
      if (a < amin) amin = a;
      if (a > amax) amax = a;
    }
    if (!values.length) [amin, amax] = [0, 0];
    if (!this.hist) {
      // np.histogram(|x|, bins=num_bins): range from a.min().item() / a.max().item() (Python floats: float64 edges)
      const [lo, hi] = amin === amax ? [amin - 0.5, amax + 0.5] : [amin, amax];
      const e = linspaceEdges(lo, hi, this.spec!.bins, false);
      const h = new Float64Array(this.spec!.bins);
      countInto(h, e, abs);
      [this.hist, this.edges] = [h, e];
      return;
    }
    let edges = this.edges!;
    const last = edges[edges.length - 1]!;
    if (amax > last) {
      // np.arange(edges[-1] + width, amax + width, width) in float32, appended
      const width = f32(edges[1]! - edges[0]!);
      const start = f32(last + width);
      const stop = f32(amax + width);
      const len = Math.max(0, Math.ceil(f32(f32(stop - start) / width)));
      if (edges.length + len > MAX_HISTOGRAM_BINS) throw new Error(`calibration tensor "${name}": |x| histogram would need ${edges.length + len} bins (> ${MAX_HISTOGRAM_BINS})`);
      const grown = new Float32Array(edges.length + len);
      grown.set(edges);
      if (len > 0) grown[edges.length] = start;
      if (len > 1) {
        const next = f32(start + width);
        const delta = f32(next - start);
        for (let i = 1; i < len; i++) grown[edges.length + i] = i === 1 ? next : f32(start + f32(i * delta));
      }
      edges = grown;
    }
    const h = new Float64Array(edges.length - 1);
    countInto(h, edges, abs);
    const old = this.hist;
    for (let i = 0; i < old.length; i++) h[i]! += old[i]!;
    [this.hist, this.edges] = [h, edges];
  }
}

export interface RangeOptions {
  method: CalibrationMethod;
  /** Percentile kept by `percentile` (default 99.999, onnxruntime's default). */
  percentile?: number;
  /** Quantized bins for `entropy` (onnxruntime's num_quantized_bins, default 128). */
  quantizedBins?: number;
}

/**
 * The calibration range [rmin, rmax] of a tensor, as onnxruntime's calibrators compute it from the same statistics
 * (see the module comment); percentile and entropy ranges are clipped to [min, max] as there.
 * @throws Error when the tensor was never seen, or the statistics lack the histogram the method needs.
 */
export function calibrationRange(s: TensorStats, o: RangeOptions): [number, number] {
  if (s.count === 0) throw new Error('calibration range of a tensor that was never seen');
  if (o.method === 'minmax') return [s.min, s.max];
  if (!s.hist || !s.edges) throw new Error(`calibration method ${o.method} needs a histogram; the statistics were collected without one`);
  const t = o.method === 'percentile' ? percentileThreshold(s, o.percentile ?? 99.999) : entropyThreshold(s.hist, s.edges, o.quantizedBins ?? 128);
  return [t[0] < s.min ? s.min : t[0], t[1] > s.max ? s.max : t[1]];
}

/** index of the first cdf value >= v (np.searchsorted, side 'left'). */
function searchsorted(cdf: Float64Array, v: number): number {
  let lo = 0;
  let hi = cdf.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** HistogramCollector.compute_percentile (before the clip to [min, max]). */
function percentileThreshold(s: TensorStats, percentile: number): [number, number] {
  if (percentile < 0 || percentile > 100) throw new Error(`--percentile ${percentile}: must be in 0..100`);
  const h = s.hist!;
  const e = s.edges!;
  let total = 0;
  for (let i = 0; i < h.length; i++) total += h[i]!;
  const cdf = new Float64Array(h.length);
  let acc = 0;
  for (let i = 0; i < h.length; i++) cdf[i] = acc += h[i]! / total;
  const edge = (i: number) => e[Math.min(i, e.length - 1)]!;
  if (s.spec!.kind === 'abs') {
    const r = edge(searchsorted(cdf, percentile / 100));
    return [-r, r];
  }
  const cut = (100 - percentile) / 200;
  return [edge(searchsorted(cdf, cut)), edge(searchsorted(cdf, 1 - cut))];
}

/** numpy's pairwise float32 sum (np.add.reduce on a contiguous float32 array, blocks of 128 unrolled by 8). */
export function pairwiseSumF32(a: Float32Array | Float64Array, from = 0, n = a.length): number {
  if (n < 8) {
    let r = 0;
    for (let i = 0; i < n; i++) r = f32(r + a[from + i]!);
    return r;
  }
  if (n <= 128) {
    const r = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => f32(a[from + j]!));
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = f32(r[j]! + a[from + i + j]!);
    let res = f32(f32(f32(r[0]! + r[1]!) + f32(r[2]! + r[3]!)) + f32(f32(r[4]! + r[5]!) + f32(r[6]! + r[7]!)));
    for (; i < n; i++) res = f32(res + a[from + i]!);
    return res;
  }
  let n2 = Math.trunc(n / 2);
  n2 -= n2 % 8;
  return f32(pairwiseSumF32(a, from, n2) + pairwiseSumF32(a, from + n2, n - n2));
}

/**
 * quant_utils.smooth_distribution (eps 0.0001) in float32: zeros become eps, the mass is taken off the non-zero
 * bins; null when every bin is zero.
 * @throws Error as onnxruntime's asserts: eps1 >= 1 or a bin <= 0 after smoothing.
 */
function smoothDistribution(p: Float64Array): Float32Array | null {
  let zeros = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === 0) zeros++;
  const nonzeros = p.length - zeros;
  if (!nonzeros) return null;
  const eps = 0.0001;
  const eps1 = (eps * zeros) / nonzeros;
  if (!(eps1 < 1)) throw new Error(`entropy calibration: smooth_distribution: n_zeros=${zeros}, n_nonzeros=${nonzeros}, eps1=${eps1} (onnxruntime asserts eps1 < 1)`);
  const addZero = f32(eps);
  const addNonzero = f32(-eps1);
  const out = new Float32Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const v = f32(f32(p[i]!) + (p[i] === 0 ? addZero : addNonzero));
    if (!(v > 0)) throw new Error('entropy calibration: smooth_distribution produced a bin <= 0');
    out[i] = v;
  }
  return out;
}

/** scipy.stats.entropy(p, q) on float32 arrays: both normalised, sum of rel_entr, in numpy's float32 arithmetic. */
function klDivergenceF32(p: Float32Array, q: Float32Array): number {
  const sp = pairwiseSumF32(p);
  const sq = pairwiseSumF32(q);
  const vec = new Float32Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const x = f32(p[i]! / sp);
    const y = f32(q[i]! / sq);
    // scipy.special.rel_entr 'ff->f': computed in double, stored as float32
    vec[i] = x > 0 && y > 0 ? f32(x * Math.log(x / y)) : x === 0 && y >= 0 ? 0 : Infinity;
  }
  return pairwiseSumF32(vec);
}

/**
 * HistogramCollector.get_entropy_threshold: over the windows [zero - i, zero + i + 1) of the value histogram
 * (i from num_quantized_bins / 2 to the half-width), the reference p is the window with the outliers added to its end
 * bins, the candidate q the window merged into `nq` bins of num_merged_bins = window // nq (the rest added to the
 * last) and spread back over each block's bins in integer counts (the merged count over the number of non-zero bins
 * of p, truncated; bins past nq * num_merged_bins stay 0); both smoothed; the window of least KL divergence (first
 * of equals) gives (edges[start], edges[end]).
 * @throws Error when the histogram has fewer bins than `nq`.
 */
export function entropyThreshold(hist: Float64Array, edges: Float32Array, nq: number): [number, number] {
  const n = hist.length;
  const zero = n >> 1;
  const halfQ = nq >> 1;
  if (zero < halfQ) throw new Error(`entropy calibration: the histogram has ${n} bins, fewer than the ${nq} quantized bins`);
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + hist[i]!;
  // np.argmin: the first of the least values (all infinite: the first window)
  let best = Infinity;
  let bestWindow: [number, number] = [edges[zero - halfQ]!, edges[Math.min(zero + halfQ + 1, n)]!];
  for (let i = halfQ; i <= zero; i++) {
    const start = zero - i;
    const end = Math.min(zero + i + 1, n);
    const size = end - start;
    const p = hist.slice(start, end);
    p[0]! += prefix[start]!;
    p[size - 1]! += prefix[n]! - prefix[end]!;
    const merged = Math.floor(size / nq);
    const q = new Float64Array(size);
    for (let j = 0; j < nq; j++) {
      const a = j * merged;
      const b = a + merged;
      let count = prefix[start + b]! - prefix[start + a]!;
      if (j === nq - 1) count += prefix[end]! - prefix[start + nq * merged]!;
      let norm = 0;
      for (let k = a; k < b; k++) if (p[k] !== 0) norm++;
      if (norm !== 0) {
        const v = Math.trunc(count / norm);
        for (let k = a; k < b; k++) q[k] = v;
      }
    }
    const ps = smoothDistribution(p);
    const qs = smoothDistribution(q);
    const kl = ps && qs ? klDivergenceF32(ps, qs) : Infinity;
    if (kl < best) {
      best = kl;
      bestWindow = [edges[start]!, edges[end]!];
    }
  }
  return bestWindow;
}

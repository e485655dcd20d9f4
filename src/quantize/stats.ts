/**
 * Streaming calibration statistics of one float tensor (bounded memory: a min, a max and a fixed-size histogram,
 * whatever the number of calibration calls), and the calibration ranges onnxruntime's quantization tool derives from
 * them (onnxruntime/python/tools/quantization/calibrate.py: MinMax, Percentile, Entropy).
 *
 * The histogram covers [-R, R] with HIST_BINS equal bins; when a value falls outside, R doubles and pairs of bins merge
 * (exactly: a bin of the wider histogram is the sum of two old ones), so the histogram of the whole stream is exact at
 * its final resolution 2R/HIST_BINS. Percentile ranges are interpolated inside a bin, so they are within one bin
 * width of numpy.percentile of the same values.
 */

export const HIST_BINS = 2048;

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

/** Streaming min / max / histogram of one tensor's values over all calibration calls. */
export class TensorStats {
  min = Infinity;
  max = -Infinity;
  count = 0;
  /** Half-width of the histogram range (0 until the first non-zero value). */
  range = 0;
  readonly hist: Float64Array | null;

  constructor(withHistogram: boolean) {
    this.hist = withHistogram ? new Float64Array(HIST_BINS) : null;
  }

  /** Width of one histogram bin. */
  get binWidth(): number {
    return (2 * this.range) / HIST_BINS;
  }

  /**
   * Add the values of one call (NaN values are an error: they would poison every range).
   * @throws Error when a value is NaN.
   */
  update(values: Float32Array, name = 'tensor'): void {
    let mn = this.min;
    let mx = this.max;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    if (Number.isNaN(mn) || Number.isNaN(mx) || (values.length && mn === Infinity && mx === -Infinity)) {
      for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i]!)) throw new Error(`calibration tensor "${name}": NaN at flat index ${i}`);
    }
    this.min = mn;
    this.max = mx;
    this.count += values.length;
    const h = this.hist;
    if (!h) return;
    const need = Math.max(Math.abs(mn), Math.abs(mx));
    if (this.range === 0) this.range = need > 0 ? need : 0;
    while (need > this.range) this.grow();
    if (this.range === 0) {
      h[HIST_BINS / 2]! += values.length; // all zeros so far: they sit in the bin just above 0
      return;
    }
    const inv = HIST_BINS / (2 * this.range);
    const R = this.range;
    for (let i = 0; i < values.length; i++) {
      let b = Math.floor((values[i]! + R) * inv);
      if (b >= HIST_BINS) b = HIST_BINS - 1;
      else if (b < 0) b = 0;
      h[b]!++;
    }
  }

  /** Double the range: bins 2k and 2k+1 merge into bin HIST_BINS/4 + k. */
  private grow(): void {
    const h = this.hist!;
    const merged = new Float64Array(HIST_BINS);
    for (let k = 0; k < HIST_BINS / 2; k++) merged[HIST_BINS / 4 + k] = h[2 * k]! + h[2 * k + 1]!;
    h.set(merged);
    this.range *= 2;
  }

  /**
   * The value below which a fraction `q` (0..1) of the values lie, by linear interpolation inside the histogram bin
   * (within one bin width of numpy.percentile(values, 100*q)).
   */
  quantile(q: number): number {
    const h = this.hist;
    if (!h) throw new Error('quantile needs a histogram (calibration method percentile or entropy)');
    if (this.range === 0) return 0;
    const target = q * this.count;
    let acc = 0;
    for (let b = 0; b < HIST_BINS; b++) {
      const c = h[b]!;
      if (acc + c >= target && c > 0) {
        const lo = -this.range + b * this.binWidth;
        const v = lo + ((target - acc) / c) * this.binWidth;
        return Math.min(this.max, Math.max(this.min, v));
      }
      acc += c;
    }
    return this.max;
  }
}

export interface RangeOptions {
  method: CalibrationMethod;
  /** Percentile kept by `percentile` (default 99.999, onnxruntime's default). */
  percentile?: number;
  /** Quantized levels for `entropy` (128 as onnxruntime's num_quantized_bins). */
  quantizedBins?: number;
}

/**
 * The calibration range [rmin, rmax] of a tensor.
 * - minmax: [min, max] of all values.
 * - percentile: [quantile(1 - p/100), quantile(p/100)].
 * - entropy: symmetric [-t, t] where t minimises the KL divergence between the |x| histogram and its quantized
 *   version (TensorRT's method as onnxruntime's HistogramCollector.compute_entropy), searched over bin edges.
 */
export function calibrationRange(s: TensorStats, o: RangeOptions): [number, number] {
  if (s.count === 0) throw new Error('calibration range of a tensor that was never seen');
  if (o.method === 'minmax') return [s.min, s.max];
  if (o.method === 'percentile') {
    const p = o.percentile ?? 99.999;
    return [s.quantile(1 - p / 100), s.quantile(p / 100)];
  }
  const t = entropyThreshold(s, o.quantizedBins ?? 128);
  return [Math.max(s.min, -t), Math.min(s.max, t)];
}

/** KL-divergence threshold on the histogram of |x| (folded from the symmetric histogram). */
function entropyThreshold(s: TensorStats, nq: number): number {
  const h = s.hist!;
  if (s.range === 0) return 0;
  const half = HIST_BINS / 2;
  const abs = new Float64Array(half);
  for (let k = 0; k < half; k++) abs[k] = h[half + k]! + h[half - 1 - k]!;
  const width = s.binWidth;
  let best = Infinity;
  let bestI = half;
  for (let i = nq; i <= half; i++) {
    // reference distribution: the first i bins, the outliers folded into the last one
    const p = abs.slice(0, i);
    let outliers = 0;
    for (let k = i; k < half; k++) outliers += abs[k]!;
    p[i - 1]! += outliers;
    // candidate: i bins merged into nq levels, expanded back over the non-empty bins
    const qd = new Float64Array(i);
    const step = i / nq;
    for (let j = 0; j < nq; j++) {
      const a = Math.floor(j * step);
      const b = j === nq - 1 ? i : Math.floor((j + 1) * step);
      let sum = 0;
      let nz = 0;
      for (let k = a; k < b; k++) {
        sum += abs[k]!;
        if (abs[k]! !== 0) nz++;
      }
      for (let k = a; k < b; k++) qd[k] = abs[k]! !== 0 ? sum / nz : 0;
    }
    const kl = klDivergence(p, qd);
    if (kl < best) {
      best = kl;
      bestI = i;
    }
  }
  return bestI * width;
}

function klDivergence(p: Float64Array, q: Float64Array): number {
  let sp = 0;
  let sq = 0;
  for (let k = 0; k < p.length; k++) {
    sp += p[k]!;
    sq += q[k]!;
  }
  if (sp === 0 || sq === 0) return Infinity;
  let kl = 0;
  for (let k = 0; k < p.length; k++) {
    const a = p[k]! / sp;
    if (a === 0) continue;
    const b = q[k]! / sq;
    if (b === 0) return Infinity;
    kl += a * Math.log(a / b);
  }
  return kl;
}

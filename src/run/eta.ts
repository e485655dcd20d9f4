/**
 * Estimated time left of a `bench run`, from the work left rather than the count of cases left.
 *
 * A 3D case with 37 boxes propagated over 30 slices costs ~70x a 2D case, so "cases done / cases left" gives an ETA of
 * seconds with minutes to go. Instead each case gets a work size in *units* (encoder calls + 0.05 x decoder calls, as
 * the LiteMedSAM pipeline makes them: `caseWork`), and each variant a rate (seconds per unit) learned from its
 * finished cases. A case some other variant has already finished is estimated from that variant's time on the same
 * case, scaled by the ratio of the two variants' times on the cases both finished (paired: it captures what the unit
 * model misses). While a case
 * runs, its estimate counts down with the elapsed time; a case that overruns its estimate keeps a remaining share
 * proportional to how far it overran, so the ETA never drops to zero while work is left.
 */

/** Cost of one decoder call relative to one encoder call (LiteMedSAM on a 2-core CPU: ~0.05 s vs ~1 s). */
export const DECODER_UNIT = 0.05;

/**
 * Work of one case as the pipeline runs it (src/runner/pipeline.ts): 2D one encoder call and one decoder call per box;
 * 3D one decoder call per box and slice of the box's z range (clamped to the volume), and one encoder call per slice
 * that any box covers (per box and slice without the embedding cache).
 * @param dim 2 or 3; @param shape imgs shape ((H,W,3) or (D,H,W)); @param boxes rows of the boxes array ((N,4) or (N,6))
 * @returns call counts and `units` = encoder calls + DECODER_UNIT x decoder calls (at least 1)
 */
export function caseWork(dim: 2 | 3, shape: number[], boxes: number[][], embeddingCache = true): { encoderCalls: number; decoderCalls: number; units: number } {
  let enc: number;
  let dec: number;
  if (dim === 2 || boxes.length === 0 || (boxes[0]?.length ?? 0) < 6) {
    enc = 1;
    dec = Math.max(boxes.length, 1);
  } else {
    const D = shape[0] ?? 1;
    const slices = new Set<number>();
    dec = 0;
    for (const b of boxes) {
      const lo = Math.max(Math.trunc(b[2]!), 0);
      const hi = Math.min(Math.trunc(b[5]!), D - 1);
      for (let z = lo; z <= hi; z++) slices.add(z);
      dec += Math.max(hi - lo + 1, 0);
    }
    enc = embeddingCache ? slices.size : dec;
  }
  return { encoderCalls: enc, decoderCalls: dec, units: Math.max(enc + DECODER_UNIT * dec, 1) };
}

/** One variant x case of the run plan. */
export interface PlannedCase {
  variant: string;
  case: string;
  /** work size ({@link caseWork}); failed-before-start cases (invalid, variant not loaded) have 0 */
  units: number;
}

/** Remaining-time estimator; feed it `start` / `finish` as cases run and ask `remaining()` at any time. */
export class EtaEstimator {
  private readonly todo = new Map<string, PlannedCase>();
  /** seconds taken per variant x case (finished) */
  private readonly taken = new Map<string, Map<string, number>>();
  private readonly sums = new Map<string, { s: number; u: number }>();
  private current: { task: PlannedCase; t0: number } | null = null;

  /** @param plan every variant x case still to run (in any order) */
  constructor(plan: PlannedCase[], private readonly now: () => number = () => performance.now() / 1e3) {
    for (const p of plan) this.todo.set(key(p.variant, p.case), p);
  }

  /** A case starts now. */
  start(variant: string, caseName: string): void {
    const task = this.todo.get(key(variant, caseName));
    if (task) this.current = { task, t0: this.now() };
  }

  /** A case ended after `seconds` of wall time (its whole run, all repeats). */
  finish(variant: string, caseName: string, seconds: number): void {
    const k = key(variant, caseName);
    const task = this.todo.get(k);
    this.todo.delete(k);
    if (this.current && key(this.current.task.variant, this.current.task.case) === k) this.current = null;
    if (!task || task.units <= 0 || !(seconds >= 0)) return;
    const byCase = this.taken.get(caseName) ?? new Map<string, number>();
    byCase.set(variant, seconds);
    this.taken.set(caseName, byCase);
    const s = this.sums.get(variant) ?? { s: 0, u: 0 };
    s.s += seconds;
    s.u += task.units;
    this.sums.set(variant, s);
  }

  /**
   * Seconds per unit of a variant: from its own finished cases; before it has any, the slowest other variant's
   * (an estimate then is provisional: {@link provisional}); null when nothing has finished.
   */
  private rate(variant: string): number | null {
    const own = this.sums.get(variant);
    if (own && own.u > 0) return own.s / own.u;
    const others = [...this.sums.values()].filter((x) => x.u > 0);
    return others.length ? Math.max(...others.map((x) => x.s / x.u)) : null;
  }

  /** True while some variant with work left has finished no case yet (its rate is borrowed from another variant). */
  provisional(): boolean {
    for (const t of this.todo.values()) {
      const own = this.sums.get(t.variant);
      if (t.units > 0 && !(own && own.u > 0)) return true;
    }
    return false;
  }

  /**
   * Time of variant `a` relative to variant `b`: the ratio of their summed times over the cases both finished, else
   * the ratio of their rates (seconds per unit), else null.
   */
  private pairedRatio(a: string, b: string): number | null {
    let sa = 0;
    let sb = 0;
    for (const byCase of this.taken.values()) {
      const ta = byCase.get(a);
      const tb = byCase.get(b);
      if (ta !== undefined && tb !== undefined) {
        sa += ta;
        sb += tb;
      }
    }
    if (sa > 0 && sb > 0) return sa / sb;
    const ra = this.sums.get(a);
    const rb = this.sums.get(b);
    return ra && rb && ra.u > 0 && rb.u > 0 && rb.s > 0 ? ra.s / ra.u / (rb.s / rb.u) : null;
  }

  /** Estimated seconds of one case for one variant (null: nothing is known yet). */
  estimate(task: PlannedCase): number | null {
    if (task.units <= 0) return 0;
    const r = this.rate(task.variant);
    if (r === null) return null;
    // the same case finished by other variants, scaled by the rate ratio (paired estimate)
    const same = this.taken.get(task.case);
    if (same && same.size > 0) {
      const paired: number[] = [];
      for (const [v, t] of same) {
        const ratio = this.pairedRatio(task.variant, v);
        if (ratio !== null) paired.push(t * ratio);
      }
      if (paired.length) return paired.reduce((a, b) => a + b, 0) / paired.length;
    }
    return r * task.units;
  }

  /**
   * Seconds left, or null before anything has finished (no rate known).
   * The running case contributes `estimate - elapsed`, or, once it overran, `elapsed x 0.25` (it is evidently
   * larger than estimated: assume it is not nearly done).
   */
  remaining(): number | null {
    let total = 0;
    for (const t of this.todo.values()) {
      const e = this.estimate(t);
      if (e === null) return null;
      if (this.current && this.current.task === t) {
        const elapsed = this.now() - this.current.t0;
        total += e > elapsed ? e - elapsed : elapsed * 0.25;
      } else total += e;
    }
    return total;
  }

  /** Seconds the running case has taken so far and its estimate (null when none runs or nothing is known). */
  currentCase(): { elapsed: number; estimate: number | null } | null {
    if (!this.current) return null;
    return { elapsed: this.now() - this.current.t0, estimate: this.estimate(this.current.task) };
  }
}

function key(v: string, c: string): string {
  return `${v}\u0000${c}`;
}

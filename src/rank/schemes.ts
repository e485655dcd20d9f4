/**
 * Ranking schemes of challenge analysis (Maier-Hein et al., "Why rankings of biomedical image analysis competitions
 * should be interpreted with care", Nat. Commun. 2018; challengeR, Wiesenfarth et al., Sci. Rep. 2021; FLARE):
 *
 * - aggregate-then-rank: mean per metric over the cases (DSC/NSD: failed or missing cases count 0, as the challenge
 *   counts a missing prediction, NaN values are left out; time: mean over ok cases), a rank per metric, and an overall
 *   rank of the weighted mean of the metric ranks;
 * - rank-then-aggregate (FLARE): per case and metric the participants are ranked (DSC/NSD higher is better, time lower;
 *   ties share the mean rank); a failed or missing case, or a NaN value, gets the worst rank (the number of
 *   participants); cases where no participant has a value are left out for that metric. A participant's score is the
 *   weighted mean over metrics of its mean case rank divided by the number of participants (0 < score <= 1, lower is
 *   better); the final rank is the rank of the score;
 * - test-then-rank: per metric, one-sided paired Wilcoxon signed-rank tests between all ordered pairs of
 *   participants on the cases both have (failed or missing: DSC/NSD 0, time +Infinity), significance at `alpha`
 *   (p < alpha) after an optional Holm adjustment over the P (P - 1) tests; the score is the number of significant
 *   wins, ranked in decreasing order; overall on the weighted sum of wins;
 * - bootstrap rank stability: `resamples` resamples of the cases with replacement (seeded Mersenne Twister), the
 *   rank-then-aggregate ranking of each, Kendall's tau-b against the full ranking, and the distribution of each
 *   participant's rank.
 *
 * Every scheme runs on all cases ("All") and on the cases of each modality.
 */
import { kendallTauB, holm, rankAverage, seededIntegers, wilcoxonGreater } from './stats.js';
import { mean } from '../stats/summary.js';
import { RANK_METRICS, rankModalities, type RankInput, type RankMetric } from './participants.js';

/** Options of {@link computeRanking}. */
export interface RankOptions {
  /** Weight of each metric in the combined scores (default 1 each; 0 leaves a metric out). */
  weights?: Partial<Record<RankMetric, number>>;
  /** Significance level of the Wilcoxon tests (default 0.05). */
  alpha?: number;
  /** Holm adjustment of the p-values (default true). */
  holm?: boolean;
  /** Bootstrap resamples (default 1000; 0 skips the bootstrap). */
  resamples?: number;
  /** Seed of the bootstrap generator (default 42). */
  seed?: number;
}

/** One participant's row of a scope's leaderboard. Ranks: 1 = best, ties share the mean rank. */
export interface RankEntry {
  participant: number;
  /** Aggregate-then-rank: mean DSC/NSD (fraction), mean time (s) per metric, and their ranks. */
  mean: Record<RankMetric, number>;
  meanRank: Record<RankMetric, number>;
  aggregateRank: number;
  /** Rank-then-aggregate: mean case rank per metric / P, the weighted score, and its rank. */
  caseRankScore: Record<RankMetric, number>;
  score: number;
  rank: number;
  /** Test-then-rank: significant wins per metric, overall wins (weighted sum), and the rank. */
  wins: Record<RankMetric, number>;
  testRank: number;
  /** Bootstrap: how often each rank was reached (rank -> count), median and 2.5 % / 97.5 % quantiles. */
  bootstrap?: { counts: Map<number, number>; median: number; low: number; high: number };
}

/** The rankings of one scope (all cases, or one modality). */
export interface ScopeRanking {
  /** `All` or a modality token. */
  name: string;
  nCases: number;
  entries: RankEntry[];
  /** `caseRanks[metric][p][c]`: the per-case ranks of rank-then-aggregate (NaN: case left out for the metric). */
  caseRanks: Record<RankMetric, number[][]>;
  /** `pValues[metric][i][j]`: (adjusted) p of "i better than j"; NaN on the diagonal. */
  pValues: Record<RankMetric, number[][]>;
  /** Bootstrap Kendall tau-b vs the full ranking: median, 2.5 % and 97.5 % quantiles, mean. */
  tau?: { median: number; low: number; high: number; mean: number; resamples: number };
}

/** All rankings of an input. */
export interface Ranking {
  input: RankInput;
  weights: Record<RankMetric, number>;
  alpha: number;
  holm: boolean;
  resamples: number;
  seed: number;
  /** `All` first, then one per modality (in the report's modality order). */
  scopes: ScopeRanking[];
}

/** Better-oriented value: DSC/NSD as is, time negated (higher is better for every metric). */
const oriented = (m: RankMetric, v: number) => (m === 'time' ? -v : v);

/**
 * Score rounded to 12 significant digits before ranking, so that scores equal by hand (e.g. 26/36 reached through
 * different sums) tie instead of being split by floating-point rounding.
 */
const tieRound = (x: number) => (Number.isFinite(x) && x !== 0 ? Number(x.toPrecision(12)) : x);

/** Linear-interpolated quantile (numpy's default) of sorted values. */
function quantileSorted(s: readonly number[], q: number): number {
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** Ranks where a NaN (no value) gets the worst rank P; lower rank is better; `better` = higher is better. */
function ranksWorstLast(values: readonly number[], better: 'higher' | 'lower'): number[] {
  const P = values.length;
  const valid: number[] = [];
  values.forEach((v, i) => {
    if (!Number.isNaN(v)) valid.push(i);
  });
  const out = new Array<number>(P).fill(P);
  const r = rankAverage(valid.map((i) => (better === 'higher' ? -values[i]! : values[i]!)));
  valid.forEach((i, k) => (out[i] = r[k]!));
  return out;
}

/** Per-case ranks of rank-then-aggregate for the case indices `cols`. */
function caseRankMatrix(input: RankInput, metric: RankMetric, cols: number[]): number[][] {
  const P = input.participants.length;
  const out = Array.from({ length: P }, () => new Array<number>(cols.length).fill(NaN));
  cols.forEach((c, k) => {
    const vals = input.participants.map((_, p) => input.values[metric][p]![c]!);
    if (vals.every((v) => Number.isNaN(v))) return; // nobody has a value: case left out for this metric
    const r = ranksWorstLast(
      vals.map((v) => oriented(metric, v)),
      'higher',
    );
    for (let p = 0; p < P; p++) out[p]![k] = r[p]!;
  });
  return out;
}

/** Rank-then-aggregate scores from per-case ranks, over the columns listed in `pick` (with repeats for a resample). */
function rankScores(caseRanks: Record<RankMetric, number[][]>, weights: Record<RankMetric, number>, P: number, pick: readonly number[]): { perMetric: Record<RankMetric, number[]>; score: number[] } {
  const perMetric = { dsc: [], nsd: [], time: [] } as Record<RankMetric, number[]>;
  const score = new Array<number>(P).fill(0);
  let wsum = 0;
  for (const m of RANK_METRICS) {
    const w = weights[m];
    for (let p = 0; p < P; p++) {
      const row = caseRanks[m][p]!;
      let s = 0;
      let n = 0;
      for (const c of pick) {
        const v = row[c]!;
        if (!Number.isNaN(v)) {
          s += v;
          n++;
        }
      }
      perMetric[m].push(n ? s / n / P : NaN);
    }
    if (w > 0 && perMetric[m].every((v) => !Number.isNaN(v))) {
      wsum += w;
      for (let p = 0; p < P; p++) score[p]! += w * perMetric[m][p]!;
    }
  }
  return { perMetric, score: score.map((s) => (wsum > 0 ? s / wsum : NaN)) };
}

function rankScope(input: RankInput, name: string, cols: number[], o: Required<Omit<Ranking, 'input' | 'scopes'>>): ScopeRanking {
  const P = input.participants.length;
  const W = o.weights;
  // aggregate-then-rank
  const means = {} as Record<RankMetric, number[]>;
  const meanRank = {} as Record<RankMetric, number[]>;
  for (const m of RANK_METRICS) {
    means[m] = input.participants.map((_, p) => {
      const vals = cols
        .map((c) => {
          const st = input.status[p]![c]!;
          if (m === 'time') return st === 'ok' ? input.values.time[p]![c]! : NaN;
          return st === 'ok' ? input.values[m][p]![c]! : 0;
        })
        .filter((v) => !Number.isNaN(v));
      return mean(vals);
    });
    meanRank[m] = ranksWorstLast(means[m], m === 'time' ? 'lower' : 'higher');
  }
  const weighted = (per: Record<RankMetric, number[]>, p: number) => {
    let s = 0;
    let w = 0;
    for (const m of RANK_METRICS) {
      if (W[m] > 0) {
        s += W[m] * per[m][p]!;
        w += W[m];
      }
    }
    return w ? s / w : NaN;
  };
  const aggregateRank = rankAverage(input.participants.map((_, p) => tieRound(weighted(meanRank, p))));
  // rank-then-aggregate
  const caseRanks = {} as Record<RankMetric, number[][]>;
  for (const m of RANK_METRICS) caseRanks[m] = caseRankMatrix(input, m, cols);
  const all = cols.map((_, k) => k);
  const full = rankScores(caseRanks, W, P, all);
  const rank = ranksWorstLast(full.score.map(tieRound), 'lower');
  // test-then-rank
  const pValues = {} as Record<RankMetric, number[][]>;
  const wins = {} as Record<RankMetric, number[]>;
  for (const m of RANK_METRICS) {
    const better = input.participants.map((_, p) =>
      cols.map((c) => {
        const st = input.status[p]![c]!;
        if (st !== 'ok') return m === 'time' ? -Infinity : 0;
        return oriented(m, input.values[m][p]![c]!);
      }),
    );
    const raw: number[] = [];
    const pairs: [number, number][] = [];
    for (let i = 0; i < P; i++) {
      for (let j = 0; j < P; j++) {
        if (i === j) continue;
        const x: number[] = [];
        const y: number[] = [];
        for (let k = 0; k < cols.length; k++) {
          const a = better[i]![k]!;
          const b = better[j]![k]!;
          if (Number.isNaN(a) || Number.isNaN(b) || (a === b && !Number.isFinite(a))) continue;
          x.push(a);
          y.push(b);
        }
        raw.push(x.length >= 2 ? wilcoxonGreater(x, y).pValue : 1);
        pairs.push([i, j]);
      }
    }
    const adj = o.holm ? holm(raw) : raw;
    pValues[m] = Array.from({ length: P }, () => new Array<number>(P).fill(NaN));
    wins[m] = new Array<number>(P).fill(0);
    pairs.forEach(([i, j], k) => {
      pValues[m][i]![j] = adj[k]!;
      if (adj[k]! < o.alpha) wins[m][i]! += 1;
    });
  }
  const winScore = input.participants.map((_, p) => RANK_METRICS.reduce((s, m) => s + W[m] * wins[m][p]!, 0));
  const testRank = rankAverage(winScore.map((w) => -w));
  const entries: RankEntry[] = input.participants.map((_, p) => ({
    participant: p,
    mean: { dsc: means.dsc[p]!, nsd: means.nsd[p]!, time: means.time[p]! },
    meanRank: { dsc: meanRank.dsc[p]!, nsd: meanRank.nsd[p]!, time: meanRank.time[p]! },
    aggregateRank: aggregateRank[p]!,
    caseRankScore: { dsc: full.perMetric.dsc[p]!, nsd: full.perMetric.nsd[p]!, time: full.perMetric.time[p]! },
    score: full.score[p]!,
    rank: rank[p]!,
    wins: { dsc: wins.dsc[p]!, nsd: wins.nsd[p]!, time: wins.time[p]! },
    testRank: testRank[p]!,
  }));
  const scope: ScopeRanking = { name, nCases: cols.length, entries, caseRanks, pValues };
  if (o.resamples > 0 && cols.length > 0) {
    const next = seededIntegers(o.seed);
    const taus: number[] = [];
    const boot: number[][] = Array.from({ length: P }, () => []);
    const pick = new Array<number>(cols.length);
    for (let b = 0; b < o.resamples; b++) {
      for (let k = 0; k < cols.length; k++) pick[k] = next(cols.length);
      const r = ranksWorstLast(rankScores(caseRanks, W, P, pick).score.map(tieRound), 'lower');
      for (let p = 0; p < P; p++) boot[p]!.push(r[p]!);
      const t = kendallTauB(r, rank);
      // a constant ranking (all tied) has no tau; a full ranking that is all tied agrees with any constant one
      taus.push(Number.isNaN(t) ? (new Set(r).size === 1 && new Set(rank).size === 1 ? 1 : 0) : t);
    }
    taus.sort((a, b) => a - b);
    scope.tau = {
      median: quantileSorted(taus, 0.5),
      low: quantileSorted(taus, 0.025),
      high: quantileSorted(taus, 0.975),
      mean: mean(taus),
      resamples: o.resamples,
    };
    entries.forEach((e, p) => {
      const s = boot[p]!.sort((a, b) => a - b);
      const counts = new Map<number, number>();
      for (const v of s) counts.set(v, (counts.get(v) ?? 0) + 1);
      e.bootstrap = { counts, median: quantileSorted(s, 0.5), low: quantileSorted(s, 0.025), high: quantileSorted(s, 0.975) };
    });
  }
  return scope;
}

/**
 * Every ranking scheme on all cases and per modality.
 * @throws Error when a weight is negative or all weights are 0, alpha is outside (0, 1), or resamples is negative.
 */
export function computeRanking(input: RankInput, opts: RankOptions = {}): Ranking {
  const weights: Record<RankMetric, number> = { dsc: 1, nsd: 1, time: 1, ...opts.weights };
  for (const m of RANK_METRICS) {
    if (!(weights[m] >= 0) || !Number.isFinite(weights[m])) throw new Error(`weight of ${m} must be a finite number >= 0, found ${weights[m]}`);
  }
  if (RANK_METRICS.every((m) => weights[m] === 0)) throw new Error('at least one metric weight must be > 0');
  const alpha = opts.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new Error(`alpha must be in (0, 1), found ${alpha}`);
  const resamples = opts.resamples ?? 1000;
  if (!Number.isInteger(resamples) || resamples < 0) throw new Error(`resamples must be a non-negative integer, found ${resamples}`);
  const o = { weights, alpha, holm: opts.holm ?? true, resamples, seed: opts.seed ?? 42 };
  const scopes: ScopeRanking[] = [rankScope(input, 'All', input.cases.map((_, i) => i), o)];
  for (const mod of rankModalities(input)) {
    const cols = input.cases.flatMap((c, i) => (c.modality === mod ? [i] : []));
    scopes.push(rankScope(input, mod, cols, o));
  }
  return { input, ...o, scopes };
}

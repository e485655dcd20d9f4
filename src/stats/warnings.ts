/**
 * Typed timing warnings: what a reader of a time must know about how it was taken. One schema per kind (validated
 * when read back from a results folder), one sentence per kind; every output (terminal, run.log, report notes in
 * Markdown/HTML/LaTeX, JSON) renders a warning through {@link timingWarningText}, so the wording lives here only.
 *
 * Adding a kind (e.g. "timed under contention"): add its zod object to `TIMING_WARNING_SCHEMAS` and its sentence to
 * `TEXT`; the compiler then requires nothing else, and every output shows it. Fields are plain JSON numbers/strings in
 * seconds (suffix `_s`) or ratios.
 */
import { z } from 'zod';

const TIMING_WARNING_SCHEMAS = [
  /** hyperfine's SlowInitialRun: the first timed run is an outlier above the others (caches, page faults, JIT). */
  z.strictObject({ kind: z.literal('slow-first-run'), first_s: z.number(), median_s: z.number(), runs: z.number().int() }),
  /** hyperfine's OutliersDetected: runs far from the median (modified Z-score > 1.4826 x 10). */
  z.strictObject({ kind: z.literal('outliers'), count: z.number().int(), runs: z.number().int(), median_s: z.number() }),
  /** MAD above 10 % of the median with no single outlier: the machine's speed drifted during the repeats. */
  z.strictObject({ kind: z.literal('large-spread'), mad_s: z.number(), median_s: z.number(), runs: z.number().int() }),
  /** hyperfine's FastExecutionTime: a run shorter than 5 ms measures the timer and process start, not the work. */
  z.strictObject({ kind: z.literal('below-timer-resolution'), min_s: z.number(), threshold_s: z.number() }),
  /**
   * Timed under contention: other processes used more than `threshold` of the machine's CPU time (all cores, /proc/stat)
   * while the case ran (src/run/load.ts); the 1-minute load average at the case's start and end.
   */
  z.strictObject({ kind: z.literal('contention'), other_cpu_share: z.number(), threshold: z.number(), load_start: z.number(), load_end: z.number() }),
] as const;

/** Schema of one timing warning (a discriminated union on `kind`). */
export const timingWarningSchema = z.discriminatedUnion('kind', TIMING_WARNING_SCHEMAS);

/** One timing warning. */
export type TimingWarning = z.infer<typeof timingWarningSchema>;
/** The kinds of timing warning. */
export type TimingWarningKind = TimingWarning['kind'];

const ms = (s: number) => `${(s * 1e3).toFixed(2)} ms`;
const sec = (s: number) => (s < 0.1 ? ms(s) : `${s.toFixed(3)} s`);

const TEXT: { [K in TimingWarningKind]: (w: Extract<TimingWarning, { kind: K }>) => string } = {
  'slow-first-run': (w) =>
    `slow first run: ${sec(w.first_s)} vs median ${sec(w.median_s)} over ${w.runs} runs (modified Z-score > 14.826); caches were cold — use --warmup`,
  outliers: (w) =>
    `${w.count} statistical outlier(s) among ${w.runs} runs (modified Z-score > 14.826, median ${sec(w.median_s)}); the machine may have been busy`,
  'large-spread': (w) =>
    `large spread: MAD ${sec(w.mad_s)} is ${((100 * w.mad_s) / w.median_s).toFixed(0)}% of the median ${sec(w.median_s)} over ${w.runs} runs`,
  contention: (w) =>
    `timed under contention: other processes used ${(100 * w.other_cpu_share).toFixed(0)}% of the machine's CPU time during the case ` +
    `(threshold ${(100 * w.threshold).toFixed(0)}%; load average ${w.load_start.toFixed(2)} -> ${w.load_end.toFixed(2)}); the wall time is inflated — compare cpu_s or re-run on a quiet machine`,
  'below-timer-resolution': (w) =>
    `a run took ${ms(w.min_s)}, below ${ms(w.threshold_s)}: the timer resolution and process overhead dominate`,
};

/**
 * The sentence of a warning, plain text (outputs escape it for Markdown/HTML/LaTeX).
 * @example timingWarningText({ kind: 'outliers', count: 1, runs: 5, median_s: 1 })
 */
export function timingWarningText(w: TimingWarning): string {
  return (TEXT[w.kind] as (x: TimingWarning) => string)(w);
}

/** A timing warning attached to one variant x case, as results folders store it (warnings.jsonl, one per line). */
export interface CaseTimingWarning {
  variant: string;
  case: string;
  warning: TimingWarning;
}

/** Schema of one line of warnings.jsonl. */
export const caseTimingWarningSchema = z.strictObject({ variant: z.string(), case: z.string(), warning: timingWarningSchema });

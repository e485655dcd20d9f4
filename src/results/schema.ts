/**
 * Schemas of a results folder as read back (docs/results-format.md): run.json validated with zod, and one schema per
 * CSV row so that a bad value is a data error naming the file, line and column — never a silent NaN that drops out of
 * a mean. Objects are loose (keys added by newer versions are kept); the keys readers use are checked.
 */
import { z } from 'zod';
import { METRIC_MODES, SPACING_ORDERS } from '../types.js';

const finiteOrNull = z.number().nullable();

/** Variant entry of run.json (the fields reports and the gate read). */
export const RunVariantSchema = z.looseObject({
  name: z.string().min(1),
  kind: z.string().min(1),
  label: z.string().optional(),
  definition: z.unknown(),
  models: z.array(z.looseObject({ path: z.string(), sha256: z.string() })).optional(),
  load_time_s: z.number().optional(),
  warmup_time_s: z.number().optional(),
  /** the case the warm-up ran on (the smallest selected case); the error when it failed */
  warmup_case: z.string().optional(),
  warmup_error: z.string().optional(),
  facts: z.record(z.string(), z.unknown()).optional(),
  overhead: z
    .looseObject({ median_s: z.number(), min_s: z.number(), max_s: z.number(), runs: z.number(), times_s: z.array(z.number()), command: z.array(z.string()) })
    .optional(),
  overhead_error: z.string().optional(),
  calibration_overlap: z.array(z.string()).optional(),
});

/** run.json. */
export const RunMetaSchema = z.looseObject({
  run_id: z.string().min(1),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  command: z.array(z.string()),
  harness: z.looseObject({ name: z.string(), version: z.string(), git_commit: z.string().nullable() }),
  machine: z.looseObject({ cpu_model: z.string(), cores: z.number(), memory_gb: z.number(), platform: z.string(), arch: z.string() }),
  versions: z.record(z.string(), z.string()),
  threads: z.looseObject({ intra_op: z.number().int().positive() }),
  metrics: z.looseObject({
    mode: z.enum(METRIC_MODES),
    tolerance_mm: z.number().positive(),
    spacing_order: z.enum(SPACING_ORDERS),
  }),
  timing: z.looseObject({
    repeat: z.number().int().positive(),
    warmup: z.number().int().nonnegative(),
    includes: z.record(z.string(), z.string()),
    container_overhead_s: finiteOrNull.optional(),
  }),
  cases_dir: z.string(),
  options: z.record(z.string(), z.unknown()).optional(),
  variants: z.array(RunVariantSchema),
});

/**
 * One parsed CSV number (empty = NaN, "inf"/"-inf" = +-Infinity; text that is not a number is refused).
 * Checks are on the parsed value: `unit` = a DSC/NSD in [0, 1] or NaN; `nonneg` = >= 0 or NaN; `int` = a
 * non-negative integer or NaN; `any` = any number or NaN.
 */
export type NumberRule = 'unit' | 'nonneg' | 'int' | 'any';

/**
 * Why a parsed CSV number breaks its rule, or null when it is fine.
 * @param text the field as written (for "non-numeric")
 * @param x the value parsed by parseCsvNumber
 */
export function numberProblem(text: string, x: number, rule: NumberRule): string | null {
  if (text !== '' && Number.isNaN(x)) return 'not a number';
  if (Number.isNaN(x)) return null; // empty field: "no value" (official NaN semantics)
  // a float sum of surfel areas may end one rounding step above 1: allow 1e-9 beyond it, nothing more
  if (rule === 'unit' && !(x >= 0 && x <= 1 + 1e-9)) return 'outside [0, 1]';
  if ((rule === 'nonneg' || rule === 'int') && !(x >= 0 && Number.isFinite(x))) return 'not a finite number >= 0';
  if (rule === 'int' && !Number.isInteger(x)) return 'not an integer';
  return null;
}

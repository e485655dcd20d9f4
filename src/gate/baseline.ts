/**
 * Baseline files of `bench gate` (docs/gate.md): a frozen, schema-validated summary of one results folder that later
 * runs are compared against. Per variant: every case's status, DSC, NSD, absolute time and time relative to a
 * reference variant of the same run (machine speed cancels), per-modality means and the average (computed with
 * `modalityTable`, the same aggregation as the reports), plus the run's metadata and metric settings.
 * NaN values (official semantics: empty gt, label gaps; or a missing time) are stored as JSON `null`.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { modalityTable, type AverageKind, type Cell } from '../results/aggregate.js';
import type { CaseRow, RunData } from '../results/store.js';
import { fileErrorText, writeFileAtomicSync } from '../io/durable.js';
import { METRIC_MODES, SPACING_ORDERS } from '../types.js';

/** Identifies the file format; bump `BASELINE_VERSION` on an incompatible change. */
export const BASELINE_FORMAT = 'medseg-bench-baseline';
export const BASELINE_VERSION = 1;

/** Thrown for usage and data errors of the gate (exit code 2): bad files, mismatched metric settings, bad options. */
export class GateDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GateDataError';
  }
}

const num = z.number().nullable(); // NaN <-> null
const CellSchema = z.object({ mean: num, n: z.number().int().nonnegative(), n_nan: z.number().int().nonnegative() });

export const BaselineCaseSchema = z.object({
  modality: z.string(),
  dim: z.union([z.literal(2), z.literal(3)]),
  status: z.enum(['ok', 'failed']),
  dsc: num,
  nsd: num,
  /** seconds (median over repeats) as in cases.csv */
  time_s: num,
  /** time_s / time_s of the reference variant on the same case of the same run; null when either is unusable */
  rel_time: num,
  /** CPU seconds of the work as in cases.csv `cpu_s` (for `bench gate --time-metric cpu`); absent in older baselines */
  cpu_s: num.optional(),
});

export const BaselineVariantSchema = z.object({
  kind: z.string().nullable(),
  label: z.string().nullable(),
  cases: z.record(z.string(), BaselineCaseSchema),
  /** modalities[modality] = { dsc: Cell, nsd: Cell } */
  modalities: z.record(z.string(), z.object({ dsc: CellSchema, nsd: CellSchema })),
  average: z.object({ dsc: CellSchema, nsd: CellSchema }),
});

export const BaselineSchema = z.object({
  format: z.literal(BASELINE_FORMAT),
  version: z.literal(BASELINE_VERSION),
  created_at: z.string(),
  run: z.object({
    run_id: z.string(),
    git_commit: z.string().nullable(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    cases_dir: z.string().nullable(),
    machine: z.record(z.string(), z.unknown()).nullable(),
    versions: z.record(z.string(), z.unknown()).nullable(),
    threads: z.record(z.string(), z.unknown()).nullable(),
    timing: z.record(z.string(), z.unknown()).nullable(),
  }),
  metrics: z.object({
    mode: z.enum(METRIC_MODES),
    tolerance_mm: z.number(),
    spacing_order: z.enum(SPACING_ORDERS),
  }),
  average_kind: z.enum(['modality', 'case']),
  time_reference: z.string(),
  variants: z.record(z.string(), BaselineVariantSchema),
});

export type Baseline = z.infer<typeof BaselineSchema>;
export type BaselineCase = z.infer<typeof BaselineCaseSchema>;

/** NaN -> null for JSON. */
export function toJsonNumber(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
/** null -> NaN. */
export function fromJsonNumber(x: number | null | undefined): number {
  return x === null || x === undefined ? NaN : x;
}

function cellJson(c: Cell | undefined): { mean: number | null; n: number; n_nan: number } {
  return c ? { mean: toJsonNumber(c.mean), n: c.n, n_nan: c.n_nan } : { mean: null, n: 0, n_nan: 0 };
}

/** Usable time of a row: status ok and a finite positive time_s, else NaN. */
export function usableTime(row: { status: string; time_s: number } | undefined): number {
  if (!row || row.status !== 'ok') return NaN;
  return Number.isFinite(row.time_s) && row.time_s > 0 ? row.time_s : NaN;
}

/** Variant names of a run in run.json order, then any that only appear in cases.csv. */
export function runVariantNames(run: RunData): string[] {
  const inRows = new Set(run.cases.map((r) => r.variant));
  const fromMeta = (run.meta.variants ?? []).map((v) => v.name).filter((n) => inRows.has(n));
  return [...new Set([...fromMeta, ...run.cases.map((r) => r.variant)])];
}

/**
 * Check that run.json carries the metric settings the gate compares (mode, tolerance_mm, spacing_order).
 * @throws GateDataError naming run.json and the missing key.
 */
export function runMetricSettings(run: RunData): Baseline['metrics'] {
  const m = run.meta?.metrics as Partial<Baseline['metrics']> | undefined;
  const file = path.join(run.dir, 'run.json');
  if (!m) throw new GateDataError(`${file}: key "metrics" missing (expected { mode, tolerance_mm, spacing_order })`);
  if (m.mode !== 'official' && m.mode !== 'strict')
    throw new GateDataError(`${file}: metrics.mode: expected "official" or "strict", found ${JSON.stringify(m.mode)}`);
  if (typeof m.tolerance_mm !== 'number' || !Number.isFinite(m.tolerance_mm))
    throw new GateDataError(`${file}: metrics.tolerance_mm: expected a number, found ${JSON.stringify(m.tolerance_mm)}`);
  if (m.spacing_order !== 'as-stored' && m.spacing_order !== 'xyz' && m.spacing_order !== 'zyx')
    throw new GateDataError(`${file}: metrics.spacing_order: expected "as-stored", "xyz" or "zyx", found ${JSON.stringify(m.spacing_order)}`);
  return { mode: m.mode, tolerance_mm: m.tolerance_mm, spacing_order: m.spacing_order };
}

export interface BuildBaselineOptions {
  /** Reference variant for relative time; default: the first variant of the run (run.json order). */
  timeReference?: string;
  /** How the Average row is computed (default `modality`: mean of modality means, as the paper). */
  averageKind?: AverageKind;
  /** ISO time written as created_at (default now). */
  now?: string;
}

/**
 * Build a baseline from a results folder read with `readRun`.
 * @throws GateDataError when the run has no case rows, its metric settings are missing, or the time reference is not
 *   one of its variants.
 */
export function buildBaseline(run: RunData, opts: BuildBaselineOptions = {}): Baseline {
  if (run.cases.length === 0) throw new GateDataError(`${path.join(run.dir, 'cases.csv')}: no case rows: nothing to freeze as a baseline`);
  const metrics = runMetricSettings(run);
  const variants = runVariantNames(run);
  const reference = opts.timeReference ?? variants[0]!;
  if (!variants.includes(reference))
    throw new GateDataError(`--time-reference "${reference}" is not a variant of ${run.dir} (variants: ${variants.join(', ')})`);
  const averageKind = opts.averageKind ?? 'modality';
  const table = modalityTable(run.cases, averageKind, variants, 'unrounded');
  const refRows = new Map(run.cases.filter((r) => r.variant === reference).map((r) => [r.case, r]));
  const out: Baseline['variants'] = {};
  for (const v of variants) {
    const meta = run.meta.variants?.find((x) => x.name === v);
    const rows = run.cases.filter((r) => r.variant === v).sort((a, b) => a.case.localeCompare(b.case));
    const cases: Record<string, BaselineCase> = {};
    for (const r of rows) {
      const t = usableTime(r);
      const tRef = usableTime(refRows.get(r.case));
      cases[r.case] = {
        modality: r.modality,
        dim: r.dim === 3 ? 3 : 2,
        status: r.status === 'failed' ? 'failed' : 'ok',
        dsc: toJsonNumber(r.dsc),
        nsd: toJsonNumber(r.nsd),
        time_s: toJsonNumber(r.time_s),
        rel_time: toJsonNumber(t / tRef),
        cpu_s: toJsonNumber(r.cpu_s ?? NaN),
      };
    }
    const modalities: Baseline['variants'][string]['modalities'] = {};
    for (const m of table.modalities) {
      const d = table.cells.dsc[m]?.[v];
      if (!d || d.n === 0) continue;
      modalities[m] = { dsc: cellJson(d), nsd: cellJson(table.cells.nsd[m]?.[v]) };
    }
    out[v] = {
      kind: meta?.kind ?? null,
      label: meta?.label ?? null,
      cases,
      modalities,
      average: { dsc: cellJson(table.average.dsc[v]), nsd: cellJson(table.average.nsd[v]) },
    };
  }
  const m = run.meta;
  return {
    format: BASELINE_FORMAT,
    version: BASELINE_VERSION,
    created_at: opts.now ?? new Date().toISOString(),
    run: {
      run_id: m.run_id ?? path.basename(run.dir),
      git_commit: m.harness?.git_commit ?? null,
      started_at: m.started_at ?? null,
      finished_at: m.finished_at ?? null,
      cases_dir: m.cases_dir ?? null,
      machine: m.machine ?? null,
      versions: m.versions ?? null,
      threads: m.threads ?? null,
      timing: m.timing ?? null,
    },
    metrics,
    average_kind: averageKind,
    time_reference: reference,
    variants: out,
  };
}

/** A baseline file's text: pretty JSON with a final newline. */
export function baselineText(baseline: Baseline): string {
  return JSON.stringify(baseline, null, 2) + '\n';
}

/** Write a baseline as pretty JSON (temp file + rename), creating the folder. */
export function writeBaseline(file: string, baseline: Baseline): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileAtomicSync(file, baselineText(baseline));
}

/**
 * Read and validate a baseline file.
 * @throws GateDataError naming the file and, for a schema error, each bad key with what was expected.
 */
export function readBaseline(file: string): Baseline {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GateDataError(fileErrorText(file, e, 'cannot read baseline as JSON'));
  }
  const parsed = BaselineSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new GateDataError(`${file}: invalid baseline file (format ${BASELINE_FORMAT} v${BASELINE_VERSION} expected):\n${issues}`);
  }
  const b = parsed.data;
  if (!Object.keys(b.variants).includes(b.time_reference))
    throw new GateDataError(`${file}: time_reference "${b.time_reference}" is not one of its variants (${Object.keys(b.variants).join(', ')})`);
  return b;
}

/** Baseline cases of one variant as CaseRows (the fields `modalityTable` reads; the rest NaN/empty). */
export function baselineRows(variant: string, cases: Record<string, BaselineCase>, only?: Set<string>): CaseRow[] {
  return Object.entries(cases)
    .filter(([c]) => !only || only.has(c))
    .map(([c, e]) => ({
      variant,
      case: c,
      modality: e.modality,
      dim: e.dim,
      shape: '',
      n_objects: NaN,
      status: e.status,
      dsc: fromJsonNumber(e.dsc),
      nsd: fromJsonNumber(e.nsd),
      time_s: fromJsonNumber(e.time_s),
      time_s_min: NaN,
      time_s_max: NaN,
      time_s_cold: NaN,
      repeats: NaN,
      encoder_calls: NaN,
      decoder_calls: NaN,
      peak_rss_mb: NaN,
      cpu_s: fromJsonNumber(e.cpu_s ?? null),
      other_cpu_share: NaN,
      load_start: NaN,
      load_end: NaN,
      error: '',
    }));
}

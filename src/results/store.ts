/**
 * The results store: one folder per run (`results/<run-id>/`), format in docs/results-format.md.
 * Rows are appended and flushed (fsync) as each case finishes, so a killed run loses at most the case in flight.
 * Readers (reports, gate) use `readRun`, which tolerates a run that is still going or was killed.
 */
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { appendDurable, fileErrorText, writeFileAtomicSync } from '../io/durable.js';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { parse } from 'csv-parse/sync';
import type { CaseStatus, Dim, MetricMode, SpacingOrder } from '../types.js';
import { csvNumber, parseCsvNumber } from '../text/numbers.js';
import { numberProblem, RunMetaSchema, type NumberRule } from './schema.js';
import { caseTimingWarningSchema, type CaseTimingWarning } from '../stats/warnings.js';

/** One row of cases.csv: one variant x case. Times in seconds, memory in MiB. NaN = "no value" (empty field). */
export interface CaseRow {
  variant: string;
  case: string;
  modality: string;
  dim: Dim;
  /** imgs shape as numpy prints it, e.g. "(30, 101, 122)". */
  shape: string;
  n_objects: number;
  status: CaseStatus;
  dsc: number;
  nsd: number;
  time_s: number;
  time_s_min: number;
  time_s_max: number;
  time_s_cold: number;
  repeats: number;
  encoder_calls: number;
  decoder_calls: number;
  peak_rss_mb: number;
  /** CPU seconds (user + system) of the work, median over repeats: process, child processes or container (src/run/load.ts). */
  cpu_s: number;
  /** Share (0..1) of the machine's CPU time used by other processes while the case ran. */
  other_cpu_share: number;
  /** 1-minute load average at the start and the end of the case. */
  load_start: number;
  load_end: number;
  error: string;
  /** the worker that ran the case (`local` for an in-process run; `bench worker --name` in a distributed run) */
  worker?: string;
  /** the id of the host fingerprint (run.json `hosts`): rows with different ids were timed on different machines */
  host?: string;
  /** pixels (2D) / voxels (3D) inside more than one box of the case; there the later box wins (run.json `box_overlap_rule`) */
  box_overlap?: number;
}

/** One row of labels.csv: one variant x case x evaluated label. Distances in mm (pixels for 2D). */
export interface LabelRow {
  variant: string;
  case: string;
  label: number;
  dsc: number;
  nsd: number;
  gt_voxels: number;
  seg_voxels: number;
  intersection: number;
  hd95: number;
  avg_dist_gt_to_seg: number;
  avg_dist_seg_to_gt: number;
}

export const CASE_COLUMNS: (keyof CaseRow)[] = [
  'variant', 'case', 'modality', 'dim', 'shape', 'n_objects', 'status', 'dsc', 'nsd', 'time_s', 'time_s_min',
  'time_s_max', 'time_s_cold', 'repeats', 'encoder_calls', 'decoder_calls', 'peak_rss_mb', 'cpu_s', 'other_cpu_share',
  'load_start', 'load_end', 'error',
  'worker', 'host', 'box_overlap',
];
export const LABEL_COLUMNS: (keyof LabelRow)[] = [
  'variant', 'case', 'label', 'dsc', 'nsd', 'gt_voxels', 'seg_voxels', 'intersection', 'hd95',
  'avg_dist_gt_to_seg', 'avg_dist_seg_to_gt',
];
const NUMERIC_CASE = new Set<keyof CaseRow>(['dim', 'n_objects', 'dsc', 'nsd', 'time_s', 'time_s_min', 'time_s_max', 'time_s_cold', 'repeats', 'encoder_calls', 'decoder_calls', 'peak_rss_mb', 'cpu_s', 'other_cpu_share', 'load_start', 'load_end', 'box_overlap']);

/** Variant entry of run.json. */
export interface RunVariant {
  name: string;
  kind: string;
  label?: string;
  definition: unknown;
  models?: { path: string; sha256: string }[];
  load_time_s?: number;
  warmup_time_s?: number;
  /** the case the warm-up ran on (the smallest selected case), and the error when the warm-up failed */
  warmup_case?: string;
  warmup_error?: string;
  facts?: Record<string, unknown>;
  /** command/docker: median of no-op runs under the same protocol (process or container start), seconds. */
  overhead?: { median_s: number; min_s: number; max_s: number; runs: number; times_s: number[]; command: string[] };
  overhead_error?: string;
  /** Evaluated cases that were among a quantized variant's calibration cases (`bench quantize`): optimistic accuracy. */
  calibration_overlap?: string[];
}

/** run.json: everything needed to interpret and reproduce the numbers. */
export interface RunMeta {
  run_id: string;
  started_at: string;
  finished_at: string | null;
  command: string[];
  harness: { name: string; version: string; git_commit: string | null };
  machine: { cpu_model: string; cores: number; memory_gb: number; platform: string; arch: string };
  versions: Record<string, string>;
  threads: { intra_op: number };
  metrics: { mode: MetricMode; tolerance_mm: number; spacing_order: SpacingOrder };
  timing: { repeat: number; warmup: number; includes: Record<string, string>; container_overhead_s?: number | null };
  cases_dir: string;
  options?: Record<string, unknown>;
  variants: RunVariant[];
  /** host fingerprints by id (src/distributed/fingerprint.ts), with the workers seen on each and their calibration */
  hosts?: Record<string, Record<string, unknown>>;
  /** How overlapping boxes are assigned (src/cases/overlap.ts BOX_OVERLAP_RULE); cases.csv `box_overlap` counts them. */
  box_overlap_rule?: string;
}

function toRecord<T extends object>(row: T, columns: (keyof T)[]): string[] {
  return columns.map((c) => {
    const v = row[c];
    return typeof v === 'number' ? csvNumber(v) : String(v ?? '');
  });
}

/** Writes one results folder. All appends are flushed to disk before returning. */
export class RunStore {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }
  get casesCsv(): string {
    return path.join(this.dir, 'cases.csv');
  }
  get labelsCsv(): string {
    return path.join(this.dir, 'labels.csv');
  }
  /** Typed timing warnings, one JSON object per line ({@link CaseTimingWarning}). */
  get warningsJsonl(): string {
    return path.join(this.dir, 'warnings.jsonl');
  }
  get runJson(): string {
    return path.join(this.dir, 'run.json');
  }
  get logDir(): string {
    return path.join(this.dir, 'logs');
  }
  /** Path of the segs file of one variant x case. */
  segsPath(variant: string, caseName: string): string {
    return path.join(this.dir, 'segs', variant, `${caseName}.npz`);
  }
  /** Create the folder layout and CSV headers (kept when they already exist, for --resume). */
  init(): void {
    mkdirSync(this.logDir, { recursive: true });
    mkdirSync(path.join(this.dir, 'segs'), { recursive: true });
    if (!existsSync(this.casesCsv)) writeFileAtomicSync(this.casesCsv, stringify([CASE_COLUMNS]));
    if (!existsSync(this.labelsCsv)) writeFileAtomicSync(this.labelsCsv, stringify([LABEL_COLUMNS]));
  }
  /**
   * Rewrite cases.csv and labels.csv with only the given rows (atomic: temp file + rename). Used by --resume so that a
   * case that is run again never leaves a second row, and a partial last line of a killed run is dropped.
   */
  rewrite(rows: CaseRow[], labels: LabelRow[], warnings: CaseTimingWarning[] = []): void {
    const put = writeFileAtomicSync;
    put(this.warningsJsonl, warnings.map((w) => `${JSON.stringify(w)}\n`).join(''));
    put(this.labelsCsv, stringify([LABEL_COLUMNS, ...labels.map((l) => toRecord(l, LABEL_COLUMNS))]));
    put(this.casesCsv, stringify([CASE_COLUMNS, ...rows.map((r) => toRecord(r, CASE_COLUMNS))]));
  }
  /**
   * Take the run's lock (`run.lock`, created with O_EXCL, holding "<pid> <start time>"), so two `bench run` never
   * write the same folder. A lock whose process is gone, or whose pid now belongs to another process (its start time
   * in /proc/<pid>/stat differs from the recorded one: the pid was reused), is taken over.
   * @throws Error naming the folder and the pid holding it.
   */
  lock(): void {
    const file = path.join(this.dir, 'run.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx');
        writeSync(fd, `${process.pid} ${processStartTime(process.pid) ?? ''}`.trim());
        closeSync(fd);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const [pidText, started] = readFileSync(file, 'utf8').trim().split(/\s+/);
        const pid = Number(pidText);
        let alive: boolean;
        try {
          if (pid > 0) process.kill(pid, 0);
          alive = pid > 0;
        } catch (err) {
          alive = (err as NodeJS.ErrnoException).code === 'EPERM';
        }
        // the same pid, but a process started at another time: the lock's owner is gone and its pid was reused
        const now = alive && started ? processStartTime(pid) : undefined;
        if (now !== undefined && now !== started) alive = false;
        if (alive && pid !== process.pid) throw new Error(`${this.dir}: another "bench run" (pid ${pid}) is writing this results folder`, { cause: e });
        rmSync(file, { force: true });
      }
    }
    throw new Error(`${this.dir}: cannot take the lock ${file}`);
  }
  /** Release the lock taken by {@link lock}. */
  unlock(): void {
    rmSync(path.join(this.dir, 'run.lock'), { force: true });
  }
  /** Write run.json atomically (temp file + rename). */
  writeMeta(meta: RunMeta): void {
    writeFileAtomicSync(this.runJson, JSON.stringify(meta, null, 2) + '\n');
  }
  /**
   * Append one case row with its label rows and timing warnings, those first, so a case row always has its labels
   * and warnings on disk.
   */
  appendCase(row: CaseRow, labels: LabelRow[], warnings: CaseTimingWarning[] = []): void {
    if (warnings.length > 0) appendDurable(this.warningsJsonl, warnings.map((w) => `${JSON.stringify(w)}\n`).join(''));
    if (labels.length > 0) appendDurable(this.labelsCsv, stringify(labels.map((l) => toRecord(l, LABEL_COLUMNS))));
    appendDurable(this.casesCsv, stringify([toRecord(row, CASE_COLUMNS)]));
  }
  /** Append a line to logs/run.log. */
  log(line: string): void {
    const file = path.join(this.logDir, 'run.log');
    try {
      appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
    } catch (e) {
      throw new Error(fileErrorText(file, e, 'cannot append'), { cause: e });
    }
  }
}

/**
 * Start time of a process in clock ticks since boot (`/proc/<pid>/stat` field 22), as text; undefined where /proc
 * is unreadable or the process is gone. With the pid it names one process for the life of the machine.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // comm (field 2) may hold spaces and parentheses: fields after the last ')' start at field 3
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** A results folder as read back. */
export interface RunData {
  dir: string;
  meta: RunMeta;
  cases: CaseRow[];
  labels: LabelRow[];
  /** Timing warnings of the cases that have a case row (warnings.jsonl; empty for runs written before it existed). */
  warnings: CaseTimingWarning[];
  /**
   * One message per file whose last line was cut short (naming the file and line); that record is not in the data.
   * `bench run --resume` prints them and rewrites the files without it (its case runs again).
   */
  truncated: string[];
}

/**
 * Text of a file of records (CSV rows, JSON lines) without a trailing partial line, and the message about it: a write
 * cut short (a full disk before this harness undid short appends, a kill in the middle of a write) can leave a last
 * line without its newline; it is not a finished record, so it is dropped and named.
 */
function completeLines(file: string, text: string, truncated: string[]): string {
  const end = text.lastIndexOf('\n');
  if (end === text.length - 1) return text;
  const line = text.slice(0, end + 1).split('\n').length;
  truncated.push(
    `${file}: line ${line} is a truncated record (${Buffer.byteLength(text.slice(end + 1))} bytes without an end of line: ` +
      'a write cut short by a full disk or a kill): dropped; its case counts as not done',
  );
  return text.slice(0, end + 1);
}

/** CSV records with the line each starts on (1-based, the header is line 1). */
function readCsv(file: string, truncated: string[]): { record: Record<string, string>; line: number }[] {
  if (!existsSync(file)) return [];
  const text = completeLines(file, readFileSync(file, 'utf8'), truncated);
  try {
    const out = parse<{ record: Record<string, string>; info: { lines: number } }>(text, { columns: true, skip_empty_lines: true, relax_column_count: true, info: true });
    return out.map((o) => ({ record: o.record, line: o.info.lines }));
  } catch (e) {
    throw new Error(`${file}: not a valid CSV written by "bench run": ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The typed warnings of warnings.jsonl, each line validated; a partial last line (killed run) is dropped. --resume
 * rewrites the file with the finished cases' warnings only, so a re-run case never keeps stale ones.
 * @throws Error naming the file and line when a complete line is not a valid warning.
 */
function readWarnings(file: string, truncated: string[]): CaseTimingWarning[] {
  if (!existsSync(file)) return [];
  const lines = completeLines(file, readFileSync(file, 'utf8'), truncated).split('\n').filter((l) => l.trim());
  const out: CaseTimingWarning[] = [];
  lines.forEach((line, i) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}: line ${i + 1}: not JSON: ${(e as Error).message}`, { cause: e });
    }
    const r = caseTimingWarningSchema.safeParse(parsed);
    if (!r.success) throw new Error(`${file}: line ${i + 1}: not a timing warning: ${r.error.issues.map((x) => `${x.path.join('.') || '(line)'}: ${x.message}`).join('; ')}`);
    out.push(r.data);
  });
  return out;
}

/** Rule of each numeric column (src/results/schema.ts); numeric columns not listed (added later) are `any`. */
const CASE_RULES: Partial<Record<keyof CaseRow, NumberRule>> = {
  dim: 'int', n_objects: 'int', dsc: 'unit', nsd: 'unit', time_s: 'nonneg', time_s_min: 'nonneg', time_s_max: 'nonneg',
  time_s_cold: 'nonneg', repeats: 'int', encoder_calls: 'int', decoder_calls: 'int', peak_rss_mb: 'nonneg',
  cpu_s: 'nonneg', other_cpu_share: 'unit', load_start: 'nonneg', load_end: 'nonneg', box_overlap: 'int',
};
const LABEL_RULES: Partial<Record<keyof LabelRow, NumberRule>> = {
  label: 'int', dsc: 'unit', nsd: 'unit', gt_voxels: 'int', seg_voxels: 'int', intersection: 'int',
};

/** Parse one numeric CSV field under its rule. @throws Error naming file, line, column, expected and found. */
function csvValue(file: string, line: number, column: string, text: string | undefined, rule: NumberRule): number {
  const t = text ?? '';
  const x = parseCsvNumber(t);
  const problem = numberProblem(t, x, rule);
  if (problem) {
    const expected = rule === 'unit' ? 'a number in [0, 1] or empty (NaN)' : rule === 'any' ? 'a number or empty' : rule === 'int' ? 'an integer >= 0 or empty' : 'a number >= 0 or empty';
    throw new Error(`${file}: line ${line}, column '${column}': expected ${expected}, found "${t}" (${problem})`);
  }
  return x;
}

/**
 * Read a results folder. Later rows for the same variant x case replace earlier ones (a resumed run may re-run a
 * case whose segs file was lost). Label rows are kept only for cases that have a case row.
 * run.json is validated (src/results/schema.ts); every CSV number is parsed under its column's rule: a DSC/NSD that
 * is not a number, outside [0, 1] or infinite, a negative time, ... is a data error, never a silent NaN.
 * @throws Error naming the file (and line, column, expected, found) when run.json is missing, not JSON or invalid, or
 *   a CSV value breaks its rule.
 */
export function readRun(dir: string): RunData {
  const runJson = path.join(dir, 'run.json');
  if (!existsSync(runJson)) throw new Error(`${runJson}: not found — is ${dir} a results folder written by "bench run"?`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(runJson, 'utf8'));
  } catch (e) {
    throw new Error(`${runJson}: not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const parsedMeta = RunMetaSchema.safeParse(raw);
  if (!parsedMeta.success) {
    const issues = parsedMeta.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${runJson}: not a run.json written by "bench run": ${issues.join('; ')}${parsedMeta.error.issues.length > 5 ? '; ...' : ''}`);
  }
  const meta = parsedMeta.data as unknown as RunMeta;
  const casesCsv = path.join(dir, 'cases.csv');
  const truncated: string[] = [];
  const caseRecords = readCsv(casesCsv, truncated);
  const byKey = new Map<string, CaseRow>();
  for (const { record: r, line } of caseRecords) {
    if (r.variant === undefined || r.case === undefined || r.status === undefined || r.error === undefined) continue; // partial line
    if (r.status !== 'ok' && r.status !== 'failed') throw new Error(`${casesCsv}: line ${line}, column 'status': expected ok or failed, found "${r.status}"`);
    if (!r.variant || !r.case) throw new Error(`${casesCsv}: line ${line}: expected a variant and a case name, found "${r.variant}" / "${r.case}"`);
    const row = {} as Record<string, unknown>;
    for (const c of CASE_COLUMNS) row[c] = NUMERIC_CASE.has(c) ? csvValue(casesCsv, line, c, r[c], CASE_RULES[c] ?? 'any') : (r[c] ?? '');
    byKey.set(`${r.variant}\u0000${r.case}`, row as unknown as CaseRow);
  }
  const labelsByKey = new Map<string, LabelRow[]>();
  const labelsCsv = path.join(dir, 'labels.csv');
  for (const { record: r, line } of readCsv(labelsCsv, truncated)) {
    if (r.avg_dist_seg_to_gt === undefined) continue;
    const row = {} as Record<string, unknown>;
    for (const c of LABEL_COLUMNS) row[c] = c === 'variant' || c === 'case' ? r[c] : csvValue(labelsCsv, line, c, r[c], LABEL_RULES[c] ?? 'any');
    const key = `${r.variant}\u0000${r.case}`;
    const list = labelsByKey.get(key) ?? [];
    // a re-run case appends a fresh block of labels starting again at the first label: keep only the last block
    if (list.length > 0 && (row.label as number) <= list[list.length - 1]!.label) list.length = 0;
    list.push(row as unknown as LabelRow);
    labelsByKey.set(key, list);
  }
  const cases = [...byKey.values()];
  const labels = cases.flatMap((c) => labelsByKey.get(`${c.variant}\u0000${c.case}`) ?? []);
  const rowKeys = new Set(byKey.keys());
  const warnings = readWarnings(path.join(dir, 'warnings.jsonl'), truncated).filter((w) => rowKeys.has(`${w.variant}\u0000${w.case}`));
  return { dir, meta, cases, labels, warnings, truncated };
}

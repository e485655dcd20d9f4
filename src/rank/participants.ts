/**
 * Participants of a ranking: every variant of one or more results folders (docs/results-format.md), one per team or
 * experiment, on the same case set. Runs scored with different metric semantics (mode, NSD tolerance, spacing
 * convention) or on different case sets are not comparable and are refused unless the caller allows the mismatch.
 */
import path from 'node:path';
import { readRun, type RunData } from '../results/store.js';
import { caseValue } from '../results/aggregate.js';
import { sortModalities } from '../results/aggregate.js';
import { compareCases } from '../reports/model-types.js';

/** Metrics a ranking uses: DSC and NSD (higher is better) and the running time per case (lower is better). */
export type RankMetric = 'dsc' | 'nsd' | 'time';
export const RANK_METRICS: RankMetric[] = ['dsc', 'nsd', 'time'];
export const RANK_METRIC_TITLE: Record<RankMetric, string> = { dsc: 'DSC', nsd: 'NSD', time: 'Time' };

/** One participant: a variant of a results folder. */
export interface Participant {
  /** Unique id: the variant name, or `<run folder name>:<variant>` when several runs are ranked and names clash. */
  id: string;
  /** Display title: run.json `label` of the variant, else the id. */
  title: string;
  runDir: string;
  variant: string;
}

/** One case of the ranking (union over every participant). */
export interface RankCase {
  case: string;
  modality: string;
  dim: 2 | 3;
}

/** Status of a participant on a case: a case row `ok` or `failed`, or no row at all (`missing`). */
export type RankStatus = 'ok' | 'failed' | 'missing';

/** What the ranking schemes need, participant- and case-indexed. */
export interface RankInput {
  participants: Participant[];
  /** Cases sorted as the paper's Table 4 (3D first, then by name). */
  cases: RankCase[];
  /**
   * `values[metric][p][c]`: DSC/NSD fraction (as the official per-case CSV prints it, np.round(x, 4): the report's
   * `caseValues: 'csv'` rule, src/results/aggregate.ts caseValue) or time in seconds of an `ok` row; NaN when failed,
   * missing or no value.
   */
  values: Record<RankMetric, number[][]>;
  status: RankStatus[][];
  /** Mismatches that were allowed (`allowMismatch`); empty when the runs agree. */
  warnings: string[];
  /** Unfinished runs (run.json finished_at null, or no rows): what was ranked and what was left out; printed as warnings. */
  unfinished: string[];
}

/**
 * Build the ranking input from already read runs (`bench report` passes its own run).
 * @param allowMismatch rank runs with different metric mode / tolerance / spacing convention / case set anyway (the
 *   differences are returned as warnings); otherwise such runs are refused
 * @throws Error naming both folders and what differs when runs are not comparable and `allowMismatch` is not set, or
 *   when no participant is found.
 */
export function rankInputFromRuns(runs: RunData[], allowMismatch = false): RankInput {
  const warnings: string[] = [];
  const first = runs[0];
  if (!first) throw new Error('no results folder to rank');
  const caseSet = (r: RunData) => new Set(r.cases.map((c) => c.case));
  const firstCases = caseSet(first);
  for (const r of runs.slice(1)) {
    const problems: string[] = [];
    for (const k of ['mode', 'tolerance_mm', 'spacing_order'] as const) {
      const a = first.meta.metrics?.[k];
      const b = r.meta.metrics?.[k];
      if (a !== b) problems.push(`metric ${k}: ${String(a)} in ${first.dir}, ${String(b)} in ${r.dir}`);
    }
    const cs = caseSet(r);
    const onlyFirst = [...firstCases].filter((c) => !cs.has(c));
    const onlyThis = [...cs].filter((c) => !firstCases.has(c));
    if (onlyFirst.length || onlyThis.length) {
      const list = (l: string[]) => `${l.slice(0, 5).join(', ')}${l.length > 5 ? ` and ${l.length - 5} more` : ''}`;
      problems.push(
        `case sets differ: ${onlyFirst.length} case(s) only in ${first.dir}${onlyFirst.length ? ` (${list(onlyFirst)})` : ''}, ` +
          `${onlyThis.length} only in ${r.dir}${onlyThis.length ? ` (${list(onlyThis)})` : ''}`,
      );
    }
    if (problems.length && !allowMismatch) {
      throw new Error(`results folders are not comparable: ${problems.join('; ')} (pass --allow-mismatch to rank them anyway; missing cases then get the worst rank)`);
    }
    warnings.push(...problems);
  }
  const raw: { runDir: string; variant: string; title: string; run: RunData }[] = [];
  const unfinished: string[] = [];
  const anyRows = runs.some((r) => r.cases.length > 0);
  for (const r of runs) {
    let names = [...new Set([...(r.meta.variants ?? []).map((v) => v.name), ...r.cases.map((c) => c.variant)])];
    if (!r.meta.finished_at || !r.cases.length) {
      const why = r.meta.finished_at ? 'has no finished cases' : 'is not finished (run.json finished_at is null)';
      // rank only what exists: variants of an unfinished run without a single row are left out (when anything has rows)
      const empty = anyRows ? names.filter((n) => !r.cases.some((c) => c.variant === n)) : [];
      names = names.filter((n) => !empty.includes(n));
      unfinished.push(
        `${r.dir} ${why}: ${r.cases.length} case row(s) ranked` +
          (empty.length ? `; left out (no finished cases): ${empty.join(', ')}` : '') +
          (r.cases.length ? '; cases not yet run count as missing (worst rank)' : empty.length ? '' : '; every value is n/a'),
      );
    }
    for (const n of names) {
      const label = r.meta.variants?.find((v) => v.name === n)?.label;
      raw.push({ runDir: r.dir, variant: n, title: label ?? n, run: r });
    }
  }
  if (raw.length === 0) throw new Error(`no variant found in ${runs.map((r) => r.dir).join(', ')}`);
  const clash = new Set(raw.map((p) => p.variant)).size !== raw.length;
  const participants: Participant[] = raw.map((p) => {
    const id = clash ? `${path.basename(p.runDir)}:${p.variant}` : p.variant;
    return { id, title: clash ? `${path.basename(p.runDir)}: ${p.title}` : p.title, runDir: p.runDir, variant: p.variant };
  });
  if (new Set(participants.map((p) => p.id)).size !== participants.length) {
    throw new Error(`two results folders share the folder name and a variant name (${participants.map((p) => p.id).join(', ')}); rename one folder`);
  }
  const caseMap = new Map<string, RankCase>();
  for (const r of runs) for (const c of r.cases) if (!caseMap.has(c.case)) caseMap.set(c.case, { case: c.case, modality: c.modality, dim: c.dim === 3 ? 3 : 2 });
  const cases = [...caseMap.values()].sort(compareCases);
  const index = new Map(cases.map((c, i) => [c.case, i]));
  const P = participants.length;
  const C = cases.length;
  const grid = () => Array.from({ length: P }, () => new Array<number>(C).fill(NaN));
  const values: Record<RankMetric, number[][]> = { dsc: grid(), nsd: grid(), time: grid() };
  const status: RankStatus[][] = Array.from({ length: P }, () => new Array<RankStatus>(C).fill('missing'));
  raw.forEach((p, pi) => {
    for (const row of p.run.cases) {
      if (row.variant !== p.variant) continue;
      const ci = index.get(row.case)!;
      status[pi]![ci] = row.status === 'ok' ? 'ok' : 'failed';
      if (row.status !== 'ok') continue;
      // one rule for case values with the report's tables: as the official per-case CSV prints them (np.round(x, 4))
      values.dsc[pi]![ci] = caseValue(row, 'dsc');
      values.nsd[pi]![ci] = caseValue(row, 'nsd');
      values.time[pi]![ci] = row.time_s;
    }
  });
  return { participants, cases, values, status, warnings, unfinished };
}

/**
 * Read results folders and build the ranking input (see {@link rankInputFromRuns}).
 * @throws Error naming the folder when run.json is missing or invalid (readRun), or the runs are not comparable.
 */
export function loadRankInput(runDirs: string[], allowMismatch = false): RankInput {
  return rankInputFromRuns(runDirs.map((d) => readRun(path.resolve(d))), allowMismatch);
}

/** Modalities of the input's cases in the report's fixed order. */
export function rankModalities(input: RankInput): string[] {
  return sortModalities(input.cases.map((c) => c.modality));
}

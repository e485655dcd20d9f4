/**
 * The report model: everything the table and chart renderers print, computed once from a results folder
 * (docs/results-format.md); its types are in ./model-types.ts. Aggregation is `modalityTable` from
 * src/results/aggregate.ts (fixed modality order, failed cases count 0, NaN cases left out, NaN mean = `n/a`); this
 * module only adds display text, best-variant marks, the running-time table (the paper's Table 4) and the accuracy
 * and time notes; the run-level notes every table carries (metric mode, tolerance, spacing, what the times include)
 * come from ./run-notes.ts.
 */
import { readRun, type CaseRow, type RunData } from '../results/store.js';
import { modalityTable, type AverageKind, type CaseValues } from '../results/aggregate.js';
import { formatMetric, formatSeconds, NA } from './format.js';
import { mean, median } from '../stats/summary.js';
import { contextLine, runNotes } from './run-notes.js';
import {
  compareCases,
  FAILED,
  METRICS,
  METRIC_TITLE,
  type AccuracyRow,
  type Metric,
  type ReportModel,
  type ReportOptions,
  type TimeRow,
  type TimeSummaryRow,
  type VariantInfo,
} from './model-types.js';

function pickBest(text: Record<string, string>, names: string[], better: (a: number, b: number) => boolean): string[] {
  const vals = names.map((n) => ({ n, v: text[n] === undefined || text[n] === NA ? NaN : Number.parseFloat(text[n]) }));
  const valid = vals.filter((x) => !Number.isNaN(x.v));
  if (valid.length < 2) return [];
  let best = valid[0]!.v;
  for (const x of valid) if (better(x.v, best)) best = x.v;
  return valid.filter((x) => x.v === best).map((x) => x.n);
}

/**
 * Build the report model of a results folder.
 * @param run a results folder path (read with `readRun`) or an already read `RunData`
 * @throws Error from `readRun` (missing or invalid run.json, bad CSV header), naming the file
 */
export function buildModel(run: string | RunData, opts: ReportOptions = {}): ReportModel {
  let data = typeof run === 'string' ? readRun(run) : run;
  const meta = data.meta;
  const averageKind: AverageKind = opts.average ?? 'modality';
  const percent = opts.percent ?? false;

  const metaVariants = meta.variants ?? [];
  let names = [...new Set([...metaVariants.map((v) => v.name), ...data.cases.map((r) => r.variant)])];
  if (opts.variants?.length) {
    // select and order the variant columns (bench report --variants a,b,c): a view of the run, nothing re-run
    const unknown = opts.variants.filter((v) => !names.includes(v));
    if (unknown.length) throw new Error(`--variants: ${unknown.map((u) => `"${u}"`).join(', ')} not in run ${meta.run_id} (variants: ${names.join(', ')})`);
    names = [...new Set(opts.variants)];
    const keep = (x: { variant: string }) => names.includes(x.variant);
    data = { ...data, cases: data.cases.filter(keep), labels: data.labels.filter(keep), warnings: (data.warnings ?? []).filter(keep) };
  }
  const rows = data.cases;
  const variants: VariantInfo[] = names.map((name) => {
    const mv = metaVariants.find((v) => v.name === name);
    const def = (mv?.definition ?? {}) as { testNetwork?: boolean; description?: string };
    return {
      testNetwork: def.testNetwork === true || (def.testNetwork === undefined && /^oracle/.test(name)),
      ...(def.description ? { description: def.description } : {}),
      name,
      title: mv?.label ?? name,
      kind: mv?.kind ?? 'unknown',
      models: mv?.models ?? [],
      loadTimeS: typeof mv?.load_time_s === 'number' ? mv.load_time_s : NaN,
      warmupTimeS: typeof mv?.warmup_time_s === 'number' ? mv.warmup_time_s : NaN,
      nCases: rows.filter((r) => r.variant === name).length,
    };
  });

  const caseValues: CaseValues = opts.caseValues ?? 'csv';
  const table = modalityTable(rows, averageKind, names, caseValues);
  const casesOf = (mod?: string) => new Set(rows.filter((r) => mod === undefined || r.modality === mod).map((r) => r.case)).size;
  const allFailed = (v: string, modality: string) => {
    const rs = rows.filter((r) => r.variant === v && (modality === 'Average' || r.modality === modality));
    return rs.length > 0 && rs.every((r) => r.status === 'failed');
  };
  const makeRow = (kind: AccuracyRow['kind'], name: string, nCases: number, get: (metric: Metric, v: string) => number): AccuracyRow => {
    const values = { dsc: {}, nsd: {} } as AccuracyRow['values'];
    const text = { dsc: {}, nsd: {} } as AccuracyRow['text'];
    const best = { dsc: [], nsd: [] } as AccuracyRow['best'];
    for (const metric of METRICS) {
      for (const v of names) {
        values[metric][v] = get(metric, v);
        // every case of the cell failed: "failed", never a 0.0000 that reads as a real zero (the mean still counts 0)
        text[metric][v] = allFailed(v, name) ? FAILED : formatMetric(values[metric][v], percent);
      }
      best[metric] = pickBest(text[metric], names, (a, b) => a > b);
      // no mark on a tie of zeros (nothing is best when every variant scores 0)
      if (best[metric].length > 0 && Number.parseFloat(text[metric][best[metric][0]!]!) === 0) best[metric] = [];
    }
    return { kind, name, nCases, values, text, best };
  };
  const accuracyRows: AccuracyRow[] = table.modalities.map((m) =>
    makeRow('modality', m, casesOf(m), (metric, v) => table.cells[metric][m]?.[v]?.mean ?? NaN),
  );
  accuracyRows.push(makeRow('average', 'Average', casesOf(), (metric, v) => table.average[metric][v]?.mean ?? NaN));
  const averageTitle = averageKind === 'modality' ? 'Average (mean of modality means)' : 'Average (mean over cases)';

  // running-time table
  const byCase = new Map<string, CaseRow[]>();
  for (const r of rows) byCase.set(r.case, [...(byCase.get(r.case) ?? []), r]);
  const timeRows: TimeRow[] = [...byCase.entries()]
    .map(([c, rs]) => {
      const first = rs[0]!;
      const time: Record<string, number> = {};
      const status: TimeRow['status'] = {};
      const text: Record<string, string> = {};
      for (const v of names) {
        const r = rs.find((x) => x.variant === v);
        time[v] = r ? r.time_s : NaN;
        status[v] = r ? r.status : 'missing';
        text[v] = r?.status === 'failed' && Number.isNaN(time[v]) ? FAILED : formatSeconds(time[v]) + (r?.status === 'failed' ? '\u2020' : '');
      }
      const okText = Object.fromEntries(names.filter((v) => status[v] === 'ok').map((v) => [v, text[v]!]));
      const fastest = pickBest(okText, Object.keys(okText), (a, b) => a < b);
      return { case: c, modality: first.modality, dim: first.dim, shape: first.shape, nObjects: first.n_objects, time, status, text, fastest };
    })
    .sort(compareCases);
  const timeSummary: TimeSummaryRow[] = (['Mean', 'Median'] as const).map((name) => {
    const time: Record<string, number> = {};
    const text: Record<string, string> = {};
    const n: Record<string, number> = {};
    for (const v of names) {
      const ok = timeRows.filter((r) => r.status[v] === 'ok' && Number.isFinite(r.time[v]!)).map((r) => r.time[v]!);
      n[v] = ok.length;
      time[v] = name === 'Mean' ? mean(ok) : median(ok);
      text[v] = formatSeconds(time[v]);
    }
    return { name, time, text, n, fastest: pickBest(text, names, (a, b) => a < b) };
  });

  // notes
  const unitText = percent ? 'in percent (0-100)' : 'as fractions (0-1)';
  const accuracyNotes: string[] = [
    `Cells: mean over the modality's cases of the per-case DSC and NSD, ${unitText}; N: number of cases. ` +
      (caseValues === 'csv'
        ? 'Means are over the per-case values as the official per-case CSV prints them (np.round(x, 4)), so every cell can be reproduced from that CSV; all values are printed with np.round (round half to even).'
        : 'Means are over the unrounded per-case values (they can differ in the 4th decimal from means of the official CSV\'s rounded values); all values are printed with np.round (round half to even).'),
    averageKind === 'modality'
      ? 'Average: mean of the modality means (each modality weighs the same, as the paper); modalities with n/a are left out.'
      : 'Average: mean over all cases (each case weighs the same; the paper averages the modality means instead).',
    'n/a: no valid value (every case NaN, e.g. an empty ground truth under official semantics). Bold: best variant per row.',
  ];
  if (!rows.length) accuracyNotes.unshift(`No finished cases in this run${meta.finished_at ? '' : ' (interrupted: run.json finished_at is null)'}: every cell is n/a.`);
  else {
    const empty = variants.filter((v) => !rows.some((r) => r.variant === v.name)).map((v) => v.name);
    if (empty.length) accuracyNotes.unshift(`No finished cases of ${empty.join(', ')}: their cells are n/a.`);
  }
  const failed = rows.filter((r) => r.status === 'failed');
  if (failed.length) {
    accuracyNotes.push(
      `Failed cases count as DSC 0 and NSD 0 in the means (a missing prediction, as the challenge counts it); a cell whose cases all failed reads "failed": ` +
        failed.map((r) => `${r.variant} on ${r.case} (${r.error.length > 120 ? `${r.error.slice(0, 117)}...` : r.error || 'no reason recorded'})`).join(', ') +
        '.',
    );
  }
  for (const v of variants.filter((x) => x.testNetwork)) {
    accuracyNotes.push(
      `${v.title === v.name ? v.name : `${v.title} (${v.name})`} is a deterministic test network, not an upper bound and not a model: ` +
        `${v.description ?? 'it checks the harness and measures its own cost'}.`,
    );
  }
  for (const metric of METRICS) {
    const parts: string[] = [];
    for (const m of table.modalities) {
      const byN = new Map<string, string[]>();
      for (const v of names) {
        const cell = table.cells[metric][m]?.[v];
        if (cell && cell.n_nan > 0) {
          const key = `${cell.n_nan} of ${cell.n}`;
          byN.set(key, [...(byN.get(key) ?? []), v]);
        }
      }
      for (const [k, vs] of byN) parts.push(`${m} ${k} case${k.endsWith(' 1') ? '' : 's'} (${vs.length === names.length ? 'all variants' : vs.join(', ')})`);
    }
    if (parts.length) accuracyNotes.push(`NaN ${METRIC_TITLE[metric]} values left out of the means: ${parts.join('; ')}.`);
  }
  const allCases = casesOf();
  const incomplete = variants.filter((v) => v.nCases < allCases);
  if (incomplete.length) {
    accuracyNotes.push(
      'Variants without a result for every case (means are over the cases they have): ' +
        incomplete.map((v) => `${v.name} ${v.nCases} of ${allCases}`).join(', ') +
        '.',
    );
  }
  const overlapping = [...new Map(rows.filter((r) => (r.box_overlap ?? 0) > 0).map((r) => [r.case, r.box_overlap!])).entries()];
  if (overlapping.length) {
    accuracyNotes.push(
      `Overlapping boxes in ${overlapping.length} case${overlapping.length === 1 ? '' : 's'} (pixels/voxels inside more than one box: ` +
        overlapping.map(([c, n]) => `${c} ${n}`).join(', ') +
        `); ${meta.box_overlap_rule ?? 'the later box wins'}.`,
    );
  }
  const timeNotes: string[] = [
    'Size: imgs shape as stored (3D cases first, then 2D); Num. Objects: number of boxes. Bold: fastest ok variant per row.',
    'Mean and Median: over each variant\'s cases with status ok.',
  ];
  if (timeRows.some((r) => Object.values(r.text).some((t) => t.endsWith('\u2020')))) {
    timeNotes.push('\u2020 failed case: time until the failure, left out of Mean and Median.');
  }
  if (timeRows.some((r) => Object.values(r.text).includes(FAILED))) timeNotes.push('failed: the case failed before a time was taken (reason in the accuracy notes).');
  if (timeRows.some((r) => Object.values(r.status).includes('missing'))) timeNotes.push('n/a: no result for this variant and case.');

  return {
    run: data,
    meta,
    variants,
    averageKind,
    percent,
    unit: percent ? '%' : 'fraction',
    unitSuffix: percent ? '(%)' : '(0-1)',
    table,
    accuracyRows,
    averageTitle,
    timeRows,
    timeSummary,
    runNotes: runNotes(meta, variants, data.warnings ?? []),
    contextLine: contextLine(meta, variants),
    accuracyNotes,
    timeNotes,
  };
}

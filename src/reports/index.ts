/**
 * Reports of a results folder (docs/results-format.md): the paper's accuracy table (Table 3) and running-time table
 * (Table 4) as Markdown, CSV, LaTeX, terminal text and one self-contained HTML page, plus PNG charts
 * (../shared/docs/TABLES.md, docs/reports.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunData } from '../results/store.js';
import { buildModel } from './model.js';
import type { ReportOptions } from './model-types.js';
import { reportMarkdown } from './markdown.js';
import { accuracyWideCsv, casesLongCsv, labelsLongCsv, timeWideCsv } from './csv.js';
import { accuracyLatex, timeLatex } from './latex.js';
import type { ChartPng } from './chart-render.js';
import { reportHtml } from './html.js';
import { fileWriter } from './files.js';
import { reportExtras, type ExtrasOptions, type ExtrasTimings } from './extras.js';
import { terminalText, type TerminalTextOptions } from './terminal.js';

export { buildModel } from './model.js';
export type { ReportModel, ReportOptions } from './model-types.js';

/** Output formats of `renderReport`. */
export type ReportFormat = 'md' | 'csv' | 'tex' | 'html' | 'png';
export const REPORT_FORMATS: ReportFormat[] = ['md', 'csv', 'tex', 'html', 'png'];

/** Options of `renderReport`. */
export interface RenderReportOptions extends ReportOptions, ExtrasOptions {
  /** Formats to write (default: all). */
  formats?: ReportFormat[];
  /** Output folder (default `<runDir>/report`), created when missing. */
  outDir?: string;
}

/**
 * Write the report files of a results folder.
 *
 * Files (in `outDir`): `report.md` (both tables + notes); `cases_long.csv`, `labels_long.csv` (tidy),
 * `accuracy_wide.csv`, `time_wide.csv` (paper layouts); `accuracy.tex`, `time.tex` (booktabs floats);
 * `report.html` (self-contained, charts embedded); `accuracy_dsc.png`, `accuracy_nsd.png`, `time_per_case.png`,
 * `accuracy_vs_time.png`, `dsc_per_case.png` (1200x700).
 * @param runDir results folder written by `bench run`
 * @returns absolute paths of the files written, in the order above
 * @throws Error naming the file when run.json is missing/invalid (from readRun), or an unknown format is asked for
 */
export async function renderReport(runDir: string, opts: RenderReportOptions = {}): Promise<{ files: string[]; timings?: ExtrasTimings }> {
  const formats = opts.formats ?? REPORT_FORMATS;
  for (const f of formats) {
    if (!REPORT_FORMATS.includes(f)) throw new Error(`unknown report format "${f}"; expected one of ${REPORT_FORMATS.join(', ')}`);
  }
  const model = buildModel(runDir, opts);
  const outDir = path.resolve(opts.outDir ?? path.join(runDir, 'report'));
  const { write, files } = fileWriter(outDir);
  // ranking, figure and overlays (src/reports/extras.ts): PNG/JPEG files with 'png', ranking tables with 'md'; with
  // 'md' alone only the ranking is computed (no pictures are drawn)
  const drawn = formats.includes('html') || formats.includes('png');
  let extras: Awaited<ReturnType<typeof reportExtras>> | undefined;
  if (drawn || formats.includes('md')) {
    extras = await reportExtras(model.run, outDir, {
      ...opts,
      noOverlays: Boolean(opts.noOverlays) || !drawn,
      drawn,
      images: formats.includes('png'),
      tables: formats.includes('md'),
    });
  }
  if (formats.includes('md')) write('report.md', reportMarkdown(model, extras?.markdown));
  if (formats.includes('csv')) {
    write('cases_long.csv', casesLongCsv(model));
    write('labels_long.csv', labelsLongCsv(model));
    write('accuracy_wide.csv', accuracyWideCsv(model));
    write('time_wide.csv', timeWideCsv(model));
  }
  if (formats.includes('tex')) {
    write('accuracy.tex', accuracyLatex(model));
    write('time.tex', timeLatex(model));
  }
  let charts: ChartPng[] | undefined;
  if (formats.includes('html') || formats.includes('png')) {
    // chart.js and canvas are imported only when charts are drawn (they cost ~0.3 s to load)
    const { renderCharts } = await import('./charts.js');
    charts = await renderCharts(model);
  }
  if (formats.includes('html')) write('report.html', reportHtml(model, [...charts!, ...profileCharts(runDir)], new Date(), extras?.html));
  if (formats.includes('png')) for (const c of charts!) write(c.file, c.png);
  return { files: [...files, ...(extras?.files ?? [])], timings: extras?.timings };
}

/** The op-type chart of `bench run --profile` (`<runDir>/profile/profile.png`, src/profile), when the run has one. */
function profileCharts(runDir: string): ChartPng[] {
  const p = path.join(runDir, 'profile', 'profile.png');
  if (!existsSync(p)) return [];
  return [{ file: 'profile/profile.png', title: 'Kernel time per run by op type (onnxruntime profiler, bench run --profile; tables in profile/profile.md)', png: readFileSync(p) }];
}

/**
 * Plain-text tables for the terminal: per-modality DSC/NSD per variant, per-case running time, and the notes
 * (metric mode, tolerance, spacing, what times include). No ANSI codes; best value marked `*`; lines fit `width`
 * columns (default 120) where the content allows (variant columns are split into blocks).
 * @param run results folder path or already read RunData (what `bench run` holds at the end)
 */
export function terminalTables(run: string | RunData, opts: ReportOptions & TerminalTextOptions & { width?: number } = {}): string {
  return terminalText(buildModel(run, opts), opts.width ?? 120, opts);
}

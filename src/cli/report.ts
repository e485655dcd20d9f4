/**
 * `bench report <run-dir> [--formats md,csv,tex,html,png] [--out <dir>] [--average modality|case] [--percent]`:
 * render the tables and charts of a results folder (src/reports, docs/reports.md).
 */
import { checkOutputPath } from '../io/outpath.js';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { intOption } from './parse/numbers.js';
import { choiceOption } from './parse/choices.js';
import { REPORT_FORMATS, renderReport, terminalTables, type ReportFormat } from '../reports/index.js';
import { colourEnabled, outputWidth } from './colour.js';
import type { AverageKind } from '../results/aggregate.js';

function parseFormats(value: string): ReportFormat[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.filter((f) => !REPORT_FORMATS.includes(f as ReportFormat));
  if (bad.length || !list.length) {
    throw new InvalidArgumentError(`expected a comma list of ${REPORT_FORMATS.join(', ')}; found "${value}"`);
  }
  return list as ReportFormat[];
}

interface ReportCliOptions {
  formats: ReportFormat[];
  out?: string;
  average: AverageKind;
  percent: boolean;
  unroundedMeans: boolean;
  quiet: boolean;
  verbose: boolean;
  variants?: string[];
  figureVariant?: string;
  cases?: string[];
  slice?: number;
  overlays: boolean;
}

/** The report's files, one a line, the overlay JPEGs summarised as one line (their folder and count). */
export function listReportFiles(files: string[]): string {
  const overlays = files.filter((f) => /[\\/]overlays[\\/]/.test(f));
  const rest = files.filter((f) => !overlays.includes(f));
  const lines = rest.map((f) => `  ${f}`);
  if (overlays.length) lines.push(`  ${overlays[0]!.replace(/([\\/]overlays)[\\/].*$/, '$1')}/ (${overlays.length} overlay JPEGs)`);
  return `Report files (${files.length}):\n${lines.join('\n')}`;
}

/** Register this command on the `bench` program (src/cli/main.ts). */
export function register(program: Command): void {
  program
    .command('report')
    .description(
      'Render the accuracy table (per-modality DSC/NSD per variant), the running-time table (per case), charts and ' +
        'an HTML report from a results folder written by "bench run".',
    )
    .argument('<run-dir>', 'results folder (results/<run-id>) with run.json and cases.csv')
    .option('--formats <list>', `comma list of ${REPORT_FORMATS.join(', ')}`, parseFormats, [...REPORT_FORMATS])
    .option('--out <dir>', 'output folder (default: <run-dir>/report)')
    .option(
      '--average <kind>',
      'Average row: "modality" = mean of modality means (as the paper), "case" = mean over all cases',
      choiceOption<AverageKind>('--average', ['modality', 'case']),
      'modality' as AverageKind,
    )
    .option('--percent', 'print DSC/NSD in percent (0-100) instead of fractions (0-1)', false)
    .option('--unrounded-means', 'means over the full-precision per-case values (default: over the values as the official CSV prints them)', false)
    .option('--quiet', 'do not print the tables to the terminal', false)
    .option('--verbose', 'print every note in the terminal (default: a short summary; the files always have them all)', false)
    .option('--variants <list>', 'variant columns to show, in this order (e.g. noaug-fp32,noaug-int8,aug-fp32,aug-int8); nothing is re-run', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--figure-variant <name>', "variant whose DSC picks the figure's best/median/worst case per modality (default: the first)")
    .option('--cases <list>', 'figure cases picked by hand, comma-separated', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--slice <z>', '3D cases: axial slice of the overlays and figure (default: largest ground-truth area per label)', intOption('--slice', 0))
    .option('--no-overlays', 'do not draw overlays and the figure')
    .action(async (runDir: string, o: ReportCliOptions) => {
      try {
        if (o.out !== undefined) checkOutputPath(o.out, '--out');
        const opts = {
          formats: o.formats, outDir: o.out, average: o.average, percent: o.percent,
          caseValues: o.unroundedMeans ? ('unrounded' as const) : ('csv' as const),
          figureVariant: o.figureVariant, figureCases: o.cases, slice: o.slice, noOverlays: !o.overlays,
          ...(o.variants ? { variants: o.variants } : {}),
        };
        if (!o.quiet) {
          const term = { ...opts, verbose: o.verbose, width: outputWidth(process.stdout), colour: colourEnabled(process.stdout) };
          process.stdout.write(terminalTables(runDir, term) + '\n');
        }
        const { files } = await renderReport(runDir, opts);
        process.stdout.write(listReportFiles(files) + '\n');
      } catch (e) {
        process.stderr.write(`bench report: ${(e as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}

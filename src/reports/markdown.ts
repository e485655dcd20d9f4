/**
 * GitHub Markdown tables: the paper's Table 3 (per-modality DSC/NSD per variant) and Table 4 (running time per case).
 */
import { hostsMarkdown } from './hosts.js';
import type { ReportModel } from './model-types.js';
import { METRICS, METRIC_TITLE } from './model-types.js';
import { escapeMarkdown as esc, markdownCode, markdownTable as mdTable, type MarkdownCell } from './format.js';

const bold = (text: string, on: boolean): MarkdownCell => ({ text, bold: on });
const notesMd = (notes: string[]) => notes.map((n) => `- ${esc(n)}`).join('\n');

/** Markdown of the accuracy table with its notes (title line, table, bullet notes). */
export function accuracyMarkdown(m: ReportModel): string {
  const header = ['Modality', 'N'];
  for (const v of m.variants) for (const metric of METRICS) header.push(`${v.title} ${METRIC_TITLE[metric]}\u00a0${m.unitSuffix}`);
  const rows = m.accuracyRows.map((r) => {
    const cells: MarkdownCell[] = [r.kind === 'average' ? bold(m.averageTitle, true) : r.name, String(r.nCases)];
    for (const v of m.variants) for (const metric of METRICS) cells.push(bold(r.text[metric][v.name]!, r.best[metric].includes(v.name)));
    return cells;
  });
  const align = header.map((_, i) => (i === 0 ? 'l' : 'r'));
  return [
    `### Accuracy per modality: DSC and NSD ${m.percent ? 'in percent' : 'as fractions'}, ${m.averageTitle}`,
    '',
    mdTable(header, align, rows),
    '',
    notesMd(m.accuracyNotes),
  ].join('\n');
}

/** Markdown of the running-time table (seconds per case per variant, 3D first, mean/median rows) with its notes. */
export function timeMarkdown(m: ReportModel): string {
  const header = ['Case ID', 'Size', 'Num. Objects', ...m.variants.map((v) => `${v.title}\u00a0(s)`)];
  const rows = m.timeRows.map((r): MarkdownCell[] => [
    r.case,
    r.shape,
    String(r.nObjects),
    ...m.variants.map((v) => bold(r.text[v.name]!, r.fastest.includes(v.name))),
  ]);
  for (const s of m.timeSummary) {
    rows.push([bold(s.name, true), '', '', ...m.variants.map((v) => bold(s.text[v.name]!, s.fastest.includes(v.name)))]);
  }
  const align = header.map((_, i) => (i < 2 ? 'l' : 'r'));
  return [
    '### Running time per case (seconds)',
    '',
    mdTable(header, align, rows),
    '',
    notesMd(m.timeNotes),
  ].join('\n');
}

/**
 * Both tables as one Markdown document (`report.md`): the results first (tables, then `extras`: the Ranking and Figure
 * sections of src/reports/extras.ts when given), then the run's metadata, each fact once.
 */
export function reportMarkdown(m: ReportModel, extras = ''): string {
  const variants = m.variants.map((v) => `- ${markdownCode(v.name)} (${v.kind}): ${esc(v.title)}`).join('\n');
  return [
    `# Benchmark report: run ${esc(m.meta.run_id)}`,
    '',
    accuracyMarkdown(m),
    '',
    timeMarkdown(m),
    '',
    ...(extras ? [extras, ''] : []),
    '### Run',
    '',
    notesMd(m.runNotes),
    '',
    '### Variants',
    '',
    variants,
    '',
    ...(hostsMarkdown(m.run) ? [hostsMarkdown(m.run), ''] : []),
  ].join('\n');
}

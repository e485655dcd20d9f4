/**
 * Text tables for the terminal (what `bench run` prints at the end, and `bench report` without --quiet). Column titles
 * are the variant titles of the report files (label, else name) with a legend; the best value of a row carries a `*`.
 * Tables are kept within `width` columns (the terminal's width; 120 when unknown) by splitting the variant columns
 * over several blocks when needed. Colour (ANSI) only when asked; the notes are a short summary unless `verbose`.
 */
import { createColors } from 'picocolors';
import type { ReportModel } from './model-types.js';
import { FAILED, METRICS, METRIC_TITLE } from './model-types.js';

interface Col {
  head: string[]; // header lines (top to bottom)
  cells: string[];
  align: 'l' | 'r';
  /** A title over this column and the next `groupSpan - 1` ones (right-aligned over them). */
  group?: string;
  groupSpan?: number;
}

function renderCols(cols: Col[], sepAfter: number[] = []): string {
  const nHead = Math.max(...cols.map((c) => c.head.length));
  const widths = cols.map((c) => Math.max(0, ...c.head.map((h) => h.length), ...c.cells.map((x) => x.length)));
  // widen the last column of a group whose title is wider than its columns
  cols.forEach((c, i) => {
    if (!c.group) return;
    const span = c.groupSpan ?? 1;
    const inner = widths.slice(i, i + span).reduce((a, b) => a + b, 0) + 2 * (span - 1);
    if (c.group.length > inner) widths[i + span - 1]! += c.group.length - inner;
  });
  const pad = (s: string, w: number, a: 'l' | 'r') => (a === 'l' ? s.padEnd(w) : s.padStart(w));
  const lines: string[] = [];
  if (cols.some((c) => c.group)) {
    let line = '';
    for (let i = 0; i < cols.length; ) {
      const c = cols[i]!;
      const span = c.group ? (c.groupSpan ?? 1) : 1;
      const w = widths.slice(i, i + span).reduce((a, b) => a + b, 0) + 2 * (span - 1);
      line += (i > 0 ? '  ' : '') + pad(c.group ?? '', w, 'r');
      i += span;
    }
    lines.push(line.trimEnd());
  }
  for (let h = 0; h < nHead; h++) {
    lines.push(cols.map((c, i) => pad(c.head[h - (nHead - c.head.length)] ?? '', widths[i]!, c.align)).join('  ').trimEnd());
  }
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  lines.push(rule);
  const nRows = cols[0]?.cells.length ?? 0;
  for (let r = 0; r < nRows; r++) {
    if (r > 0 && sepAfter.includes(r)) lines.push(rule);
    lines.push(cols.map((c, i) => pad(c.cells[r] ?? '', widths[i]!, c.align)).join('  ').trimEnd());
  }
  return lines.join('\n');
}

/** Split `n` variant columns into blocks whose rendered width stays within `width`. */
function chunkVariants<T>(items: T[], fixedWidth: number, itemWidth: (t: T) => number, width: number): T[][] {
  const blocks: T[][] = [];
  let cur: T[] = [];
  let w = fixedWidth;
  for (const it of items) {
    const iw = itemWidth(it) + 2;
    if (cur.length > 0 && w + iw > width) {
      blocks.push(cur);
      cur = [];
      w = fixedWidth;
    }
    cur.push(it);
    w += iw;
  }
  if (cur.length) blocks.push(cur);
  return blocks;
}

function wrap(text: string, width: number, indent = '  '): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur && cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = indent + w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  return lines.join('\n');
}

/** The accuracy table as plain text (variant titles as column titles, as in the report files). */
export function accuracyText(m: ReportModel, width = 120): string {
  const rows = m.accuracyRows;
  // the Average row's full title (what it averages) is in the heading line: the first column stays narrow
  const first: Col = { head: ['Modality'], cells: rows.map((r) => (r.kind === 'average' ? 'Average' : r.name)), align: 'l' };
  const nCol: Col = { head: ['N'], cells: rows.map((r) => String(r.nCases)), align: 'r' };
  const fixed = Math.max(...first.cells.map((c) => c.length), 8) + 2 + 3 + 2;
  const metricWidth = (v: string) => Math.max(...rows.map((r) => r.text.dsc[v]!.length + 1), 4);
  const blocks = chunkVariants(m.variants, fixed, (v) => Math.max(v.title.length, 2 * metricWidth(v.name) + 2), width);
  const parts = blocks.map((block) => {
    const cols: Col[] = [first, nCol];
    for (const v of block) {
      for (const [i, metric] of METRICS.entries()) {
        cols.push({
          head: [METRIC_TITLE[metric]],
          ...(i === 0 ? { group: v.title, groupSpan: METRICS.length } : {}),
          cells: rows.map((r) => r.text[metric][v.name]! + (r.best[metric].includes(v.name) ? '*' : ' ')),
          align: 'r',
        });
      }
    }
    return renderCols(cols, [rows.length - 1]);
  });
  return [
    wrap(`Accuracy per modality: DSC and NSD ${m.percent ? 'in percent' : 'as fractions (0-1)'}; ${m.averageTitle}; * = best per row`, width, ''),
    ...parts,
  ].join('\n\n');
}

/** The running-time table as plain text (seconds; 3D first; Mean/Median rows over ok cases). */
export function timeText(m: ReportModel, width = 120): string {
  const rows = m.timeRows;
  const summary = m.timeSummary;
  const first: Col = { head: ['Case ID'], cells: [...rows.map((r) => r.case), ...summary.map((s) => s.name)], align: 'l' };
  const size: Col = { head: ['Size'], cells: [...rows.map((r) => r.shape), ...summary.map(() => '')], align: 'l' };
  const objs: Col = { head: ['Objects'], cells: [...rows.map((r) => String(r.nObjects)), ...summary.map(() => '')], align: 'r' };
  const fixed = [first, size, objs].reduce((s, c) => s + Math.max(...c.cells.map((x) => x.length), ...c.head.map((h) => h.length)) + 2, 0);
  type V = (typeof m.variants)[number];
  const cellsOf = (v: V) => [
    ...rows.map((r) => r.text[v.name]! + (r.fastest.includes(v.name) ? '*' : r.text[v.name]!.endsWith('\u2020') ? '' : ' ')),
    ...summary.map((s) => s.text[v.name]! + (s.fastest.includes(v.name) ? '*' : ' ')),
  ];
  const blocks = chunkVariants<V>(m.variants, fixed, (v) => Math.max(v.title.length, ...cellsOf(v).map((c) => c.length)), width);
  const parts = blocks.map((block) =>
    renderCols(
      [first, size, objs, ...block.map((v): Col => ({ head: [v.title], cells: cellsOf(v), align: 'r' }))],
      [rows.length],
    ),
  );
  return ['Running time per case (seconds), * = fastest ok variant per row', ...parts].join('\n\n');
}

/** Options of {@link terminalText}. */
export interface TerminalTextOptions {
  /** every note (as in the report files); default: a short summary that points to the report */
  verbose?: boolean;
  /** ANSI colour (bold headings, best values, failures, warnings); the caller decides (TTY, NO_COLOR) */
  colour?: boolean;
}

/** Legend of the column titles: `Proposed = aug-int8, ...` (only when some title differs from its variant name). */
export function variantLegend(m: ReportModel): string | null {
  if (m.variants.every((v) => v.title === v.name)) return null;
  return `Variants: ${m.variants.map((v) => (v.title === v.name ? v.name : `${v.title} = ${v.name}`)).join(', ')}.`;
}

/** Short end-of-run notes: the conventions in one line, failures and timing warnings counted, where the rest is. */
function shortNotes(m: ReportModel): string[] {
  const out: string[] = [];
  const legend = variantLegend(m);
  if (legend) out.push(legend);
  for (const v of m.variants.filter((x) => x.testNetwork)) out.push(`${v.title}: a deterministic test network, not an upper bound (it measures the harness's own cost).`);
  const failed = m.run.cases.filter((r) => r.status === 'failed');
  if (failed.length) {
    // the time table marks a failed case "<time>\u2020" (time until the failure) or "failed" (no time taken): name what it shows
    const texts = m.timeRows.flatMap((r) => Object.values(r.text));
    const marks = [texts.some((t) => t.endsWith('\u2020')) ? '\u2020' : '', texts.includes(FAILED) ? `"${FAILED}"` : ''].filter(Boolean).join(' or ');
    out.push(`${failed.length} failed case(s), counted as DSC 0 / NSD 0 in the means as the challenge does${marks ? ` (${marks} in the time table)` : ''}: ${failed.map((r) => `${r.variant} ${r.case}`).join(', ')}.`);
  }
  const kinds = new Map<string, number>();
  for (const w of m.run.warnings ?? []) kinds.set(w.warning.kind, (kinds.get(w.warning.kind) ?? 0) + 1);
  if (kinds.size) {
    const names: Record<string, string> = { contention: 'timed under contention' };
    out.push(`Timing warnings: ${[...kinds].map(([k, n]) => `${names[k] ?? k.replace(/-/g, ' ')} ${n}`).join(', ')} (each listed in the report and with --verbose).`);
  }
  out.push(`${m.meta.metrics?.mode === 'official' ? 'Official metrics (compute_metrics.py)' : `Metric mode ${m.meta.metrics?.mode}`}; every other note (times, machine, versions) is in the report; --verbose prints them here.`);
  return out;
}

/** Colour a rendered table text: bold headings, green best (`*`) values, red failed (`\u2020`) ones. */
function paint(text: string): string {
  const pc = createColors(true);
  return text
    .split('\n')
    .map((line) => {
      if (/^(Accuracy per modality|Running time per case|Run |Notes:)/.test(line)) return pc.bold(line);
      return line.replace(/(\S+)\*/g, (_, v: string) => pc.green(`${v}*`)).replace(/(\S+\u2020)/g, (x: string) => pc.red(x));
    })
    .join('\n');
}

/** Both tables and the notes as plain text, lines within `width` columns where the content allows. */
export function terminalText(m: ReportModel, width = 120, opts: TerminalTextOptions = {}): string {
  // the notes speak of bold (Markdown/LaTeX/HTML); the terminal marks with `*`
  const notes = opts.verbose
    ? [...(variantLegend(m) ? [variantLegend(m)!] : []), ...m.accuracyNotes, ...m.timeNotes, ...m.runNotes].map((n) => n.replace(/Bold: /g, '* marks the '))
    : shortNotes(m);
  const text = [
    `Run ${m.meta.run_id}`,
    '',
    accuracyText(m, width),
    '',
    timeText(m, width),
    '',
    'Notes:',
    ...notes.map((n) => wrap(`- ${n}`, width)),
    '',
  ].join('\n');
  return opts.colour ? paint(text) : text;
}

/**
 * A paper figure like the seed paper's Fig. 2: per modality the best, median and worst case by the DSC of one
 * variant (`--figure-variant`, default the run's first variant; failed cases count DSC 0), or cases picked by hand
 * (`--cases a,b,c`); rows = cases, columns = the image with the ground truth, then each variant's prediction with
 * DSC/NSD below. One print-resolution PNG (cells of 360 px: ~340 dpi across a 7-inch text width for 5 variants)
 * and an HTML counterpart (a table of JPEG cells, self-contained).
 */
import { createCanvas } from '@napi-rs/canvas';
import type { CaseRow, RunData } from '../results/store.js';
import { caseValue, sortModalities } from '../results/aggregate.js';
import { escapeHtml, formatMetric } from '../reports/format.js';
import { compareCases } from '../reports/model-types.js';
import { BOX_COLOUR, drawPlane } from './draw.js';
import { chooseSlices, loadOverlayCase, loadSegs, planeOf, type OverlayCase } from './load.js';

/** Cell size of the HTML counterpart (JPEG, pixels). */
const HTML_CELL = 200;

/** Options of {@link renderFigure}. */
export interface FigureOptions {
  /** Variant whose DSC picks the best/median/worst case per modality (default: the run's first variant). */
  variant?: string;
  /** Cases picked by hand (in this order) instead. */
  cases?: string[];
  /** 3D: axial slice to draw (default: the slice of the largest ground-truth area). */
  slice?: number;
  /** Cell size in pixels of the PNG (default 360). */
  cell?: number;
}

/** One row of the figure. */
export interface FigureRow {
  case: string;
  modality: string;
  /** Why it was picked, e.g. `best`, `median`, `worst`, `best = median = worst`, `chosen`. */
  pick: string;
  /** DSC of the figure variant (failed = 0), NaN when unknown. */
  dsc: number;
}

/** The figure: PNG, HTML fragment, and what it shows. */
export interface Figure {
  png: Buffer;
  html: string;
  rows: FigureRow[];
  variant: string;
  variants: string[];
  /** Picked cases left out because their files could not be read. */
  problems: string[];
}

/**
 * Rows of the figure: per modality (report order) the best, median (lower median) and worst case by the DSC of
 * `variant`, duplicates merged (a modality with one case gives one row); or the `cases` given, in order.
 * @throws Error naming the variant or case when it is not in the run (message starts with `--`); Error "no finished
 * cases ..." when the run (or the variant) has no rows, e.g. an interrupted run: the report prints it as a note.
 */
export function chooseFigureRows(run: RunData, variant: string | undefined, cases?: string[]): FigureRow[] {
  const rows = run.cases.filter((r) => r.variant === variant);
  if (!rows.length) {
    const known = new Set([...(run.meta.variants ?? []).map((v) => v.name), ...run.cases.map((r) => r.variant)]);
    // a variant of the run (or the default on a run without rows, e.g. interrupted): a note, not an error
    if (variant === undefined || known.has(variant)) throw new Error(`no finished cases${variant === undefined ? '' : ` of variant ${variant}`} in ${run.dir}`);
    throw new Error(`--figure-variant ${variant}: not a variant of ${run.dir} (variants: ${[...known].join(', ')})`);
  }
  if (cases?.length) {
    return cases.map((name) => {
      const r = run.cases.find((x) => x.case === name);
      if (!r) throw new Error(`--cases: case "${name}" is not in ${run.dir}`);
      const own = rows.find((x) => x.case === name);
      return { case: name, modality: r.modality, pick: 'chosen', dsc: own ? caseValue(own, 'dsc') : NaN };
    });
  }
  const out: FigureRow[] = [];
  for (const mod of sortModalities(rows.map((r) => r.modality))) {
    const list = rows
      .filter((r) => r.modality === mod && !Number.isNaN(caseValue(r, 'dsc')))
      .sort((a, b) => caseValue(b, 'dsc') - caseValue(a, 'dsc') || compareCases(a, b));
    if (!list.length) continue;
    const picks: [string, CaseRow][] = [
      ['best', list[0]!],
      ['median', list[Math.floor((list.length - 1) / 2)]!],
      ['worst', list[list.length - 1]!],
    ];
    for (const [pick, r] of picks) {
      const prev = out.find((x) => x.case === r.case);
      if (prev) prev.pick += ` = ${pick}`;
      else out.push({ case: r.case, modality: mod, pick, dsc: caseValue(r, 'dsc') });
    }
  }
  return out;
}

/** Cell caption: DSC/NSD of a variant on a case, or its status. */
function cellCaption(row: CaseRow | undefined): string {
  if (!row) return 'no result';
  if (row.status !== 'ok') return 'FAILED';
  return `DSC ${formatMetric(row.dsc, false)}  NSD ${formatMetric(row.nsd, false)}`;
}

/**
 * Render the figure of a run.
 * @throws Error when the variant or a hand-picked case is not in the run (chooseFigureRows), or a case's imgs file
 *   cannot be read (loadOverlayCase).
 */
export async function renderFigure(run: RunData, opts: FigureOptions = {}): Promise<Figure> {
  const variants = [...new Set([...(run.meta.variants ?? []).map((v) => v.name), ...run.cases.map((r) => r.variant)])].filter((v) => run.cases.some((r) => r.variant === v));
  const picked = chooseFigureRows(run, opts.variant ?? variants[0], opts.cases);
  const variant = opts.variant ?? variants[0]!;
  // cases whose imgs cannot be read (cases folder moved, file removed) are left out and listed
  const problems: string[] = [];
  const loaded = new Map<string, OverlayCase>();
  for (const fr of picked) {
    try {
      loaded.set(fr.case, await loadOverlayCase(run.meta.cases_dir, fr.case));
    } catch (e) {
      problems.push(`${fr.case}: ${(e as Error).message}`);
    }
  }
  const rows = picked.filter((fr) => loaded.has(fr.case));
  if (!rows.length) throw new Error(`no figure case could be read: ${problems.join('; ')}`);
  const title = (v: string) => run.meta.variants?.find((x) => x.name === v)?.label ?? v;
  const cell = opts.cell ?? 360;
  const labelW = 300;
  const headH = 70;
  const capH = 34;
  const footH = 50;
  const cols = 1 + variants.length;
  const width = labelW + cols * cell;
  const height = headH + rows.length * (cell + capH) + footH;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#111';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.font = 'bold 22px DejaVu Sans, Arial, sans-serif';
  ['Image + ground truth', ...variants.map(title)].forEach((t, i) => ctx.fillText(t, labelW + i * cell + cell / 2, headH / 2, cell - 10));
  const htmlRows: string[] = [];
  for (const [ri, fr] of rows.entries()) {
    const c = loaded.get(fr.case)!;
    const z = chooseSlices(c, { slice: opts.slice, max: 1 })[0]!;
    const y = headH + ri * (cell + capH);
    ctx.textAlign = 'left';
    ctx.fillStyle = '#111';
    ctx.font = 'bold 22px DejaVu Sans, Arial, sans-serif';
    ctx.fillText(fr.modality, 12, y + cell / 2 - 34, labelW - 20);
    ctx.font = '18px DejaVu Sans, Arial, sans-serif';
    ctx.fillText(fr.pick, 12, y + cell / 2 - 6, labelW - 20);
    ctx.fillText(fr.case + (c.dim === 3 ? ` z=${z}` : ''), 12, y + cell / 2 + 20, labelW - 20);
    const cells: { caption: string; plane: ReturnType<typeof planeOf> }[] = [{ caption: c.dim === 3 ? `slice ${z}` : '', plane: planeOf(c, z) }];
    for (const v of variants) {
      const row = run.cases.find((r) => r.case === fr.case && r.variant === v);
      const segs = row?.status === 'ok' ? await loadSegs(run.dir, v, fr.case) : undefined;
      cells.push({ caption: cellCaption(row), plane: planeOf(c, z, segs) });
    }
    const tds: string[] = [];
    for (const [ci, x] of cells.entries()) {
      drawPlane(ctx, x.plane, labelW + ci * cell + 2, y + 2, cell - 4, 2);
      ctx.textAlign = 'center';
      ctx.fillStyle = '#111';
      ctx.font = '18px DejaVu Sans, Arial, sans-serif';
      ctx.fillText(x.caption, labelW + ci * cell + cell / 2, y + cell + capH / 2, cell - 8);
      // HTML cell: a small JPEG of the same drawing
      const small = createCanvas(HTML_CELL, HTML_CELL);
      drawPlane(small.getContext('2d'), x.plane, 0, 0, HTML_CELL);
      const jpeg = await small.encode('jpeg', 75);
      tds.push(`<td><img alt="${escapeHtml(`${fr.case} ${ci === 0 ? 'ground truth' : variants[ci - 1]!}`)}" width="${HTML_CELL}" height="${HTML_CELL}" src="data:image/jpeg;base64,${jpeg.toString('base64')}"><br>${escapeHtml(x.caption)}</td>`);
    }
    htmlRows.push(`<tr><th scope="row" class="l">${escapeHtml(fr.modality)}<br>${escapeHtml(fr.pick)}<br><code>${escapeHtml(fr.case)}</code>${c.dim === 3 ? ` z=${z}` : ''}</th>${tds.join('')}</tr>`);
  }
  const legend = `Ground truth: green contour. Prediction: contour per label in the label's colour. Box prompt: dashed yellow. Rows: per modality the best, median and worst case by the DSC of ${title(variant)}${opts.cases?.length ? ' (cases picked by hand)' : ''}.`;
  ctx.textAlign = 'left';
  ctx.fillStyle = '#333';
  ctx.font = '18px DejaVu Sans, Arial, sans-serif';
  ctx.fillText(legend, 12, height - footH / 2, width - 24);
  ctx.fillStyle = BOX_COLOUR;
  const html = `<table id="figure" class="figure"><caption>${escapeHtml(legend)}</caption><thead><tr><th></th>${['Image + ground truth', ...variants.map(title)]
    .map((t) => `<th>${escapeHtml(t)}</th>`)
    .join('')}</tr></thead><tbody>\n${htmlRows.join('\n')}\n</tbody></table>`;
  return { png: await canvas.encode('png'), html, rows, variant, variants, problems };
}

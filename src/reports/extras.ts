/**
 * The report's pictures and rankings (issue 13), kept apart from the table renderers: the "Ranking" section (when the
 * run has at least two variants; src/rank), the Fig. 2-style figure (src/overlays/figure.ts) and the interactive
 * per-case table whose rows show that case's overlays (src/overlays). The HTML stays one self-contained file: images
 * are `data:` URIs and the one inline script is allowed by its SHA-256 hash in the Content-Security-Policy.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { RunData } from '../results/store.js';
import { compareCases } from './model-types.js';
import { fileWriter } from './files.js';
import { escapeHtml as esc, formatMetric, formatSeconds } from './format.js';

/** Options of the report's pictures and rankings. */
export interface ExtrasOptions {
  /** Variant whose DSC picks the figure's cases (default: the first variant). */
  figureVariant?: string;
  /** Figure cases picked by hand. */
  figureCases?: string[];
  /** 3D: axial slice for overlays and figure (default: largest ground-truth area per label). */
  slice?: number;
  /** Skip overlays and the figure (default false). */
  noOverlays?: boolean;
  /** Bootstrap resamples of the Ranking section (default 1000). */
  resamples?: number;
}

/** What renderReport adds to report.html. */
export interface HtmlExtras {
  /** HTML sections appended to the body. */
  sections: string;
  css: string;
  /** One inline script (no external code). */
  script: string;
}

/** Seconds spent by each part (reported by `bench run` next to its run time). */
export interface ExtrasTimings {
  overlaysS: number;
  figureS: number;
  rankingS: number;
}

/** Content-Security-Policy of a self-contained report whose only script is `script` (allowed by hash). */
export function reportCsp(script: string): string {
  const base = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";
  return script ? `${base}; script-src 'sha256-${createHash('sha256').update(script).digest('base64')}'` : base;
}

export const EXTRAS_CSS = `
table.ranking caption,table.figure caption{text-align:left;font-weight:normal;font-size:.9em}
table.figure td{text-align:center;font-size:.85em;padding:2px}table.figure img{display:block;margin:auto}
#cases-table tbody tr{cursor:pointer}#cases-table tbody tr:hover{background:#eef4fb}#cases-table tbody tr.sel{background:#dbe9f8}
#cases-table th[data-col]{cursor:pointer;user-select:none}#cases-table th[data-col]::after{content:" \\2195";color:#999}
.filters{margin:.4em 0}.filters label{margin-right:1em}.ovl{display:flex;flex-wrap:wrap;gap:6px;margin:.5em 0}.ovl[hidden]{display:none}
.ovl figure{margin:0}.ovl img{border:1px solid #ccc}.ovl figure.cur img{border:2px solid #0072B2}td.failed{color:#b00}
`;

/** The interactive table's script: sort on header click, filter by modality / variant / status, row click shows overlays. */
export const CASES_SCRIPT = `(() => {
  const table = document.getElementById('cases-table');
  if (!table) return;
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const sel = (id) => document.getElementById(id);
  const filter = () => {
    const m = sel('f-modality').value, v = sel('f-variant').value, s = sel('f-status').value;
    for (const r of rows) r.hidden = (m && r.dataset.modality !== m) || (v && r.dataset.variant !== v) || (s && r.dataset.status !== s);
  };
  for (const id of ['f-modality', 'f-variant', 'f-status']) sel(id).addEventListener('change', filter);
  let dir = 1, last = -1;
  table.tHead.addEventListener('click', (e) => {
    const th = e.target.closest('th[data-col]');
    if (!th) return;
    const col = Number(th.dataset.col), num = th.dataset.type === 'num';
    dir = col === last ? -dir : 1; last = col;
    const key = (r) => { const t = r.cells[col].dataset.v ?? r.cells[col].textContent; return num ? (t === '' ? -Infinity : Number(t)) : t; };
    rows.sort((a, b) => { const x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * dir; });
    for (const r of rows) body.appendChild(r);
  });
  const show = (r) => {
    for (const x of rows) x.classList.toggle('sel', x === r);
    for (const p of document.querySelectorAll('.case-overlays')) p.hidden = p.dataset.case !== r.dataset.case;
    const panel = document.querySelector('.case-overlays[data-case="' + CSS.escape(r.dataset.case) + '"]');
    sel('overlay-none').hidden = !!panel;
    if (panel) for (const f of panel.querySelectorAll('figure')) f.classList.toggle('cur', f.dataset.variant === r.dataset.variant);
  };
  body.addEventListener('click', (e) => { const r = e.target.closest('tr'); if (r) show(r); });
  body.addEventListener('keydown', (e) => { if (e.key === 'Enter') { const r = e.target.closest('tr'); if (r) show(r); } });
})();`;

function select(id: string, label: string, values: string[]): string {
  return `<label>${esc(label)} <select id="${id}"><option value="">all</option>${values.map((v) => `<option>${esc(v)}</option>`).join('')}</select></label>`;
}

/** The per-case table (one row per case x variant) with its filters and, per case, the hidden overlay panel. */
export function casesSection(run: RunData, overlays: { case: string; variant: string; caption: string; jpeg: Buffer }[], overlayNote: string): string {
  const rows = [...run.cases].sort((a, b) => compareCases(a, b) || a.variant.localeCompare(b.variant));
  const uniq = (xs: string[]) => [...new Set(xs)];
  const num = (x: number, text: string) => `<td data-v="${Number.isNaN(x) ? '' : x}">${esc(text)}</td>`;
  const body = rows
    .map(
      (r) =>
        `<tr tabindex="0" data-case="${esc(r.case)}" data-variant="${esc(r.variant)}" data-modality="${esc(r.modality)}" data-status="${esc(r.status)}">` +
        `<td class="l">${esc(r.case)}</td><td class="l">${esc(r.modality)}</td><td>${r.dim}D</td><td class="l">${esc(r.variant)}</td>` +
        `<td class="l${r.status === 'ok' ? '' : ' failed'}">${esc(r.status)}</td>${num(r.dsc, formatMetric(r.dsc, false))}${num(r.nsd, formatMetric(r.nsd, false))}${num(r.time_s, formatSeconds(r.time_s))}</tr>`,
    )
    .join('\n');
  const head = ['Case', 'Modality', 'Dim', 'Variant', 'Status', 'DSC', 'NSD', 'Time (s)']
    .map((h, i) => `<th data-col="${i}"${i >= 5 ? ' data-type="num"' : ' class="l"'}>${esc(h)}</th>`)
    .join('');
  const panels = uniq(overlays.map((o) => o.case))
    .map(
      (c) =>
        `<div class="case-overlays ovl" data-case="${esc(c)}" hidden>${overlays
          .filter((o) => o.case === c)
          .map((o) => `<figure data-variant="${esc(o.variant)}"><img alt="${esc(`${c}: ${o.caption}`)}" src="data:image/jpeg;base64,${o.jpeg.toString('base64')}"></figure>`)
          .join('')}</div>`,
    )
    .join('\n');
  return `<h2>Cases</h2>
<p>One row per case and variant; click a column title to sort, a row to show the case's overlays (ground-truth contour green, predicted contours per label in the label's colour, box prompts dashed yellow). ${esc(overlayNote)}</p>
<div class="filters">${select('f-modality', 'Modality', uniq(rows.map((r) => r.modality)))}${select('f-variant', 'Variant', uniq(rows.map((r) => r.variant)))}${select('f-status', 'Status', uniq(rows.map((r) => r.status)))}</div>
<div id="overlay-view"><p id="overlay-none">Click a row to show its overlays${overlays.length ? '' : ' (no overlays in this report)'}.</p>
${panels}</div>
<table id="cases-table"><thead><tr>${head}</tr></thead><tbody>
${body}
</tbody></table>`;
}

/**
 * Compute the Ranking section, the figure and the overlays of a run, write their files into `outDir` (PNG/JPEG when
 * `images`, ranking Markdown/CSV/LaTeX when `tables`; ranking charts only when `drawn`, i.e. HTML or PNG is written), and
 * return the HTML and Markdown extras. Problems (cases_dir moved, a case
 * unreadable) become notes in the report, never a failed report.
 */
export async function reportExtras(
  run: RunData,
  outDir: string,
  opts: ExtrasOptions & { images: boolean; tables: boolean; drawn: boolean },
): Promise<{ html: HtmlExtras; markdown: string; files: string[]; timings: ExtrasTimings }> {
  const { drawn } = opts;
  const { write, files } = fileWriter(outDir);
  const markdown: string[] = [];
  const timings: ExtrasTimings = { overlaysS: 0, figureS: 0, rankingS: 0 };
  const sections: string[] = [];
  const variants = new Set(run.cases.map((r) => r.variant));
  if (variants.size >= 2) {
    const t0 = performance.now();
    // chart.js and canvas only when pictures are drawn (bench report --formats md loads no chart code)
    const { computeRanking } = await import('../rank/schemes.js');
    const { rankInputFromRuns } = await import('../rank/participants.js');
    const { rankingCsv, rankingHtml, rankingLatex, rankingMarkdown } = await import('../rank/tables.js');
    const ranking = computeRanking(rankInputFromRuns([run]), { resamples: opts.resamples ?? 1000 });
    const charts = drawn ? await (await import('../rank/charts.js')).renderRankingCharts(ranking) : [];
    // report.md carries the section one heading level down (ranking.md keeps its own title)
    markdown.push(rankingMarkdown(ranking).replace(/^(#+) /gm, '##$1 '));
    if (opts.tables) {
      write('ranking.md', rankingMarkdown(ranking));
      write('ranking.csv', rankingCsv(ranking));
      write('ranking.tex', rankingLatex(ranking));
    }
    if (opts.images) for (const c of charts) write(c.file, c.png);
    sections.push(
      `<h2 id="ranking">Ranking</h2>\n${rankingHtml(ranking)}\n${charts
        .map((c) => `<figure><img class="rank-chart" alt="${esc(c.title)}" src="data:image/png;base64,${c.png.toString('base64')}"><figcaption>${esc(c.title)} (${esc(c.file)})</figcaption></figure>`)
        .join('\n')}`,
    );
    timings.rankingS = (performance.now() - t0) / 1e3;
  }
  let overlayNote = 'Overlays were not drawn (--no-overlays).';
  let overlays: Awaited<ReturnType<typeof import('../overlays/index.js').renderOverlays>>['overlays'] = [];
  if (!opts.noOverlays) {
    const { renderOverlays } = await import('../overlays/index.js');
    const { renderFigure } = await import('../overlays/figure.js');
    const set = await renderOverlays(run, { slice: opts.slice }, opts.images ? path.join(outDir, 'overlays') : undefined);
    if (opts.images) files.push(...set.overlays.map((o) => path.join(outDir, 'overlays', o.file)));
    overlays = set.overlays;
    timings.overlaysS = set.seconds;
    overlayNote = `${set.overlays.length} overlays drawn in ${set.seconds.toFixed(2)} s${opts.images ? ' (JPEG files in overlays/)' : ''}.${set.problems.length ? ` Not drawn: ${set.problems.join('; ')}.` : ''}`;
    const t0 = performance.now();
    try {
      const fig = await renderFigure(run, { variant: opts.figureVariant, cases: opts.figureCases, slice: opts.slice });
      if (opts.images) {
        write('figure.png', fig.png);
        markdown.push(`### Figure\n\nQualitative results as the paper's Fig. 2 (best, median and worst case per modality).\n\n![Figure: best, median and worst case per modality](figure.png)\n`);
      }
      write('figure.html', `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${reportCsp('')}"><title>Figure: ${esc(run.meta.run_id)}</title><style>body{font-family:"DejaVu Sans",Arial,sans-serif}${EXTRAS_CSS}</style></head><body>${fig.html}</body></html>\n`);
      const left = fig.problems.length ? ` Left out (files not readable): ${fig.problems.join('; ')}.` : '';
      sections.push(`<h2 id="figure-section">Figure</h2>\n<p>Qualitative results as the paper's Fig. 2 (print-resolution PNG: figure.png).${esc(left)}</p>\n${fig.html}`);
    } catch (e) {
      if ((e as Error).message.startsWith('--')) throw e; // --figure-variant / --cases naming what is not in the run
      sections.push(`<h2 id="figure-section">Figure</h2>\n<p>The figure could not be drawn: ${esc((e as Error).message)}</p>`);
    }
    timings.figureS = (performance.now() - t0) / 1e3;
  }
  sections.push(casesSection(run, overlays, overlayNote));
  return { html: { sections: sections.join('\n'), css: EXTRAS_CSS, script: CASES_SCRIPT }, markdown: markdown.join('\n'), files, timings };
}

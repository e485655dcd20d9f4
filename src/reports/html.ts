/**
 * One self-contained HTML report: run metadata, variants with model hashes, both tables with their notes, and the
 * charts embedded as `data:image/png;base64` URIs; plus the Ranking, Figure and Cases sections of extras.ts. One inline
 * script (the case table), allowed by its SHA-256 hash; no external requests (the Content-Security-Policy forbids
 * everything else), readable offline.
 */
import type { ReportModel } from './model-types.js';
import { METRICS, METRIC_TITLE } from './model-types.js';
import type { ChartPng } from './chart-render.js';
import { reportCsp, type HtmlExtras } from './extras.js';
import { hostsHtml } from './hosts.js';
import { escapeHtml as esc, formatSeconds } from './format.js';

const strong = (s: string, on: boolean) => (on ? `<strong>${esc(s)}</strong>` : esc(s));
const notesHtml = (notes: string[]) => `<ul class="notes">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`;

function accuracyTable(m: ReportModel): string {
  const head1 = `<tr><th rowspan="2" class="l">Modality</th><th rowspan="2">N</th>${m.variants
    .map((v) => `<th colspan="2" class="group">${esc(v.title)}</th>`)
    .join('')}</tr>`;
  const head2 = `<tr>${m.variants.map(() => METRICS.map((x) => `<th>${METRIC_TITLE[x]}&nbsp;${esc(m.unitSuffix)}</th>`).join('')).join('')}</tr>`;
  const body = m.accuracyRows
    .map((r) => {
      const cls = r.kind === 'average' ? ' class="avg"' : '';
      const name = r.kind === 'average' ? m.averageTitle : r.name;
      const cells = m.variants.map((v) => METRICS.map((x) => `<td>${strong(r.text[x][v.name]!, r.best[x].includes(v.name))}</td>`).join('')).join('');
      return `<tr${cls}><th scope="row" class="l">${esc(name)}</th><td>${r.nCases}</td>${cells}</tr>`;
    })
    .join('\n');
  return `<table id="accuracy-table"><caption>Accuracy per modality: DSC and NSD ${m.percent ? 'in percent' : 'as fractions (0-1)'}; ${esc(m.averageTitle)}; best per row in bold</caption>
<thead>${head1}${head2}</thead>
<tbody>
${body}
</tbody></table>`;
}

function timeTable(m: ReportModel): string {
  const head = `<tr><th class="l">Case ID</th><th class="l">Size</th><th>Num. Objects</th>${m.variants.map((v) => `<th>${esc(v.title)}&nbsp;(s)</th>`).join('')}</tr>`;
  let prev: number | undefined;
  const rows = m.timeRows.map((r) => {
    const cls = prev !== undefined && prev !== r.dim ? ' class="sep"' : '';
    prev = r.dim;
    return `<tr${cls}><th scope="row" class="l">${esc(r.case)}</th><td class="l">${esc(r.shape)}</td><td>${r.nObjects}</td>${m.variants
      .map((v) => `<td>${strong(r.text[v.name]!, r.fastest.includes(v.name))}</td>`)
      .join('')}</tr>`;
  });
  const summary = m.timeSummary.map(
    (s, i) =>
      `<tr class="avg${i === 0 ? ' sep' : ''}"><th scope="row" class="l">${s.name}</th><td></td><td></td>${m.variants
        .map((v) => `<td>${strong(s.text[v.name]!, s.fastest.includes(v.name))}</td>`)
        .join('')}</tr>`,
  );
  return `<table id="time-table"><caption>Running time per case (seconds, wall clock); 3D cases first; fastest ok variant per row in bold</caption>
<thead>${head}</thead>
<tbody>
${[...rows, ...summary].join('\n')}
</tbody></table>`;
}

function metaTable(m: ReportModel): string {
  const meta = m.meta;
  const mt = meta.metrics;
  const rows: [string, string][] = [
    ['Run id', meta.run_id],
    ['Started / finished', `${meta.started_at} / ${meta.finished_at ?? 'not finished'}`],
    ['Command', (meta.command ?? []).join(' ')],
    ['Harness', `${meta.harness?.name ?? '?'} ${meta.harness?.version ?? '?'}, commit ${meta.harness?.git_commit ?? 'unknown'}`],
    ['Machine', meta.machine ? `${meta.machine.cpu_model}; ${meta.machine.cores} cores; ${meta.machine.memory_gb} GB; ${meta.machine.platform}/${meta.machine.arch}` : 'n/a'],
    ['Threads', `intra-op ${meta.threads?.intra_op ?? 'n/a'}`],
    ['Versions', Object.entries(meta.versions ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['Metric mode', String(mt?.mode ?? 'n/a')],
    ['NSD tolerance', `${mt?.tolerance_mm ?? 'n/a'} mm (3D); pixels at unit spacing (2D)`],
    ['Spacing convention', String(mt?.spacing_order ?? 'n/a')],
    ['Timing', `repeat ${meta.timing?.repeat ?? '?'}, warm-up ${meta.timing?.warmup ?? '?'}`],
    ...Object.entries(meta.timing?.includes ?? {}).map(([k, v]): [string, string] => [`Times of ${k} variants include`, v]),
    ['Cases folder', meta.cases_dir ?? 'n/a'],
  ];
  return `<table id="run-meta" class="meta"><tbody>${rows.map(([k, v]) => `<tr><th scope="row" class="l">${esc(k)}</th><td class="l">${esc(v)}</td></tr>`).join('\n')}</tbody></table>`;
}

function variantsTable(m: ReportModel): string {
  const rows = m.variants.map((v) => {
    const models = v.models.length
      ? v.models.map((x) => `<div><span class="path">${esc(x.path)}</span><br><code>sha256 ${esc(x.sha256)}</code></div>`).join('')
      : 'n/a';
    return `<tr><td class="l"><code>${esc(v.name)}</code></td><td class="l">${esc(v.title)}</td><td class="l">${esc(v.kind)}</td><td>${v.nCases}</td><td>${esc(formatSeconds(v.loadTimeS))}</td><td class="l">${models}</td></tr>`;
  });
  return `<table id="variants" class="meta"><thead><tr><th class="l">Variant</th><th class="l">Label</th><th class="l">Kind</th><th>Cases</th><th>Load (s)</th><th class="l">Models</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

const CSS = `
body{font-family:"DejaVu Sans",Arial,sans-serif;color:#111;background:#fff;margin:24px auto;max-width:1240px;padding:0 16px;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ccc;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}caption{caption-side:top;text-align:left;font-weight:bold;padding:.3em 0}
th,td{padding:.25em .6em;text-align:right;border-bottom:1px solid #e3e3e3;vertical-align:top}
thead th{border-bottom:2px solid #333;background:#f6f6f6}th.group{border-bottom:1px solid #999;text-align:center}
.l{text-align:left}tr.avg{background:#f3f6fa}tr.sep>*{border-top:2px solid #777}
table.meta td,table.meta th{font-size:.95em}code{font-size:.9em;word-break:break-all}.path{color:#333}
ul.notes{font-size:.88em;color:#333;margin-top:.2em}figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.88em;color:#444}
`;

/**
 * The HTML report as one string.
 * @param charts PNG charts to embed (from renderCharts); each becomes an `<img src="data:image/png;base64,...">`
 */
export function reportHtml(m: ReportModel, charts: ChartPng[], generatedAt = new Date(), extras?: HtmlExtras): string {
  const figs = charts
    .map(
      (c) =>
        `<figure><img class="chart" alt="${esc(c.title)}" width="1200" height="700" src="data:image/png;base64,${c.png.toString('base64')}"><figcaption>${esc(c.title)} (${esc(c.file)})</figcaption></figure>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${reportCsp(extras?.script ?? '')}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>medseg-bench report: ${esc(m.meta.run_id)}</title>
<style>${CSS}${extras?.css ?? ''}</style>
</head>
<body>
<h1>Benchmark report: run ${esc(m.meta.run_id)}</h1>
<p>Generated by medseg-bench <code>bench report</code> on ${esc(generatedAt.toISOString())}. Metric mode <strong>${esc(String(m.meta.metrics?.mode ?? 'n/a'))}</strong>, NSD tolerance ${esc(String(m.meta.metrics?.tolerance_mm ?? 'n/a'))} mm, spacing convention ${esc(String(m.meta.metrics?.spacing_order ?? 'n/a'))}.</p>
<h2>Accuracy</h2>
${accuracyTable(m)}
${notesHtml(m.accuracyNotes)}
<h2>Running time</h2>
${timeTable(m)}
${notesHtml(m.timeNotes)}
<h2>Charts</h2>
${figs}
${extras ? extras.sections : ''}
<h2>Run</h2>
${metaTable(m)}
${notesHtml(m.runNotes)}
<h2>Variants</h2>
${variantsTable(m)}
${hostsHtml(m.run)}
${extras ? `<script>${extras.script}</script>` : ''}
</body>
</html>
`;
}

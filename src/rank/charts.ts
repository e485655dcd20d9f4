/**
 * PNG charts of a ranking, after challengeR (Wiesenfarth et al., Sci. Rep. 2021):
 * - `rank_blob.png` (chart.js bubble chart): per scope (All, then each modality) and participant, the bootstrap rank
 *   distribution; blob area proportional to the share of resamples at that rank, a cross at the median and a line over
 *   the 2.5 %-97.5 % quantiles; participants ordered by their full rank;
 * - `rank_heatmap.png`: per metric, how many cases each participant reached each per-case rank (rank-then-aggregate);
 * - `significance_map.png`: per metric, cell (row i, column j) filled when i is significantly better than j
 *   (one-sided Wilcoxon, after the Holm adjustment when on), with the p-value.
 * Heatmaps are drawn cell by cell on @napi-rs/canvas (chart.js has no matrix chart without a plug-in).
 */
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import type { ChartConfiguration, Plugin } from 'chart.js';
import { FONT, PALETTE, render, type ChartPng } from '../reports/chart-render.js';
import { formatFixed } from '../text/numbers.js';
import { RANK_METRICS, RANK_METRIC_TITLE } from './participants.js';
import type { Ranking } from './schemes.js';
import { sortedEntries } from './tables.js';

const short = (s: string, n = 18) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

async function blobPlot(r: Ranking): Promise<Buffer> {
  const P = r.input.participants.length;
  const scopes = r.scopes.filter((s) => s.entries.some((e) => e.bootstrap));
  const order = sortedEntries(r, r.scopes[0]!).map((e) => e.participant);
  // x: scope block * (P + 1) + position of the participant in the full ranking
  const xOf = (si: number, p: number) => si * (P + 1) + order.indexOf(p);
  const blobs = r.input.participants.map((part, p) => ({
    label: part.title,
    type: 'bubble' as const,
    data: scopes.flatMap((s, si) => {
      const e = s.entries[p]!;
      return [...e.bootstrap!.counts.entries()].map(([rank, n]) => ({ x: xOf(si, p), y: rank, r: 2 + 16 * Math.sqrt(n / r.resamples) }));
    }),
    backgroundColor: `${PALETTE[p % PALETTE.length]!}99`,
    borderColor: PALETTE[p % PALETTE.length]!,
  }));
  const medians = {
    label: 'median, 2.5-97.5 % quantiles',
    type: 'scatter' as const,
    data: scopes.flatMap((s, si) => s.entries.map((e) => ({ x: xOf(si, e.participant), y: e.bootstrap!.median }))),
    pointStyle: 'crossRot' as const,
    pointRadius: 7,
    borderColor: '#000',
    borderWidth: 2,
  };
  const intervals: Plugin = {
    id: 'intervals',
    afterDatasetsDraw(chart) {
      const ctx = chart.ctx as unknown as SKRSContext2D;
      const xs = chart.scales.x!;
      const ys = chart.scales.y!;
      ctx.save();
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 1.5;
      scopes.forEach((s, si) =>
        s.entries.forEach((e) => {
          const x = xs.getPixelForValue(xOf(si, e.participant));
          ctx.beginPath();
          ctx.moveTo(x, ys.getPixelForValue(e.bootstrap!.low));
          ctx.lineTo(x, ys.getPixelForValue(e.bootstrap!.high));
          ctx.stroke();
        }),
      );
      ctx.fillStyle = '#333';
      ctx.font = `bold ${scopes.length > 6 ? 12 : 15}px ${FONT}`;
      ctx.textAlign = 'center';
      // scope titles alternate between two lines so that many scopes never overlap; a grey rule between scopes
      scopes.forEach((s, si) => {
        ctx.fillText(`${s.name} (${s.nCases})`, xs.getPixelForValue(si * (P + 1) + (P - 1) / 2), chart.chartArea.top + (si % 2 ? 32 : 14));
        if (si > 0) {
          const x = xs.getPixelForValue(si * (P + 1) - 1);
          ctx.strokeStyle = '#bbb';
          ctx.beginPath();
          ctx.moveTo(x, chart.chartArea.top);
          ctx.lineTo(x, chart.chartArea.bottom);
          ctx.stroke();
        }
      });
      ctx.restore();
    },
  };
  const config: ChartConfiguration = {
    type: 'bubble',
    data: { datasets: [...blobs, medians] as ChartConfiguration['data']['datasets'] },
    options: {
      plugins: {
        title: { display: true, text: `Bootstrap rank distribution (${r.resamples} resamples; rank-then-aggregate)`, font: { size: 20, family: FONT } },
        legend: { position: 'bottom', labels: { font: { family: FONT } } },
      },
      scales: {
        x: {
          type: 'linear',
          min: -0.7,
          max: scopes.length * (P + 1) - 1.3,
          afterBuildTicks: (axis) => {
            axis.ticks = scopes.flatMap((_, si) => order.map((p) => ({ value: xOf(si, p) })));
          },
          ticks: { callback: (v) => short(r.input.participants[order[Number(v) % (P + 1)] ?? 0]?.title ?? '', 12), autoSkip: false, maxRotation: 60, font: { family: FONT } },
          title: { display: true, text: 'Participant, per scope (ordered by the full ranking of all cases)', font: { family: FONT } },
        },
        y: {
          reverse: true,
          min: 0.5,
          max: P + 0.5,
          ticks: { stepSize: 1, font: { family: FONT } },
          title: { display: true, text: 'Rank (1 = best)', font: { family: FONT } },
        },
      },
    },
  };
  return render(config, [intervals]);
}

/** Panels drawn side by side on one canvas; `cell(metric index, row, col)` gives a cell's fill and text. */
async function matrixPanels(
  title: string,
  rows: string[],
  cols: string[],
  panels: string[],
  cell: (panel: number, row: number, col: number) => { fill: string; text: string },
  axis: { x: string; y: string },
): Promise<Buffer> {
  const cw = Math.max(34, Math.min(90, Math.floor(1000 / (panels.length * Math.max(cols.length, 1)))));
  const ch = Math.max(26, Math.min(60, Math.floor(500 / Math.max(rows.length, 1))));
  const left = 190;
  const top = 90;
  const panelW = cols.length * cw + 40;
  const width = Math.max(800, left + panels.length * panelW + 20);
  const height = top + rows.length * ch + 170;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#111';
  ctx.font = `bold 20px ${FONT}`;
  ctx.textAlign = 'center';
  ctx.fillText(title, width / 2, 32);
  panels.forEach((name, k) => {
    const x0 = left + k * panelW;
    ctx.font = `bold 16px ${FONT}`;
    ctx.textAlign = 'center';
    ctx.fillStyle = '#111';
    ctx.fillText(name, x0 + (cols.length * cw) / 2, top - 18);
    for (let i = 0; i < rows.length; i++) {
      for (let j = 0; j < cols.length; j++) {
        const c = cell(k, i, j);
        ctx.fillStyle = c.fill;
        ctx.fillRect(x0 + j * cw, top + i * ch, cw, ch);
        ctx.strokeStyle = '#ccc';
        ctx.strokeRect(x0 + j * cw, top + i * ch, cw, ch);
        ctx.fillStyle = '#111';
        ctx.font = `12px ${FONT}`;
        ctx.fillText(c.text, x0 + j * cw + cw / 2, top + i * ch + ch / 2 + 4);
      }
    }
    ctx.save();
    ctx.font = `12px ${FONT}`;
    ctx.textAlign = 'right';
    cols.forEach((c, j) => {
      ctx.save();
      ctx.translate(x0 + j * cw + cw / 2, top + rows.length * ch + 8);
      ctx.rotate(-Math.PI / 3);
      ctx.fillText(short(c), 0, 0);
      ctx.restore();
    });
    ctx.restore();
  });
  ctx.font = `13px ${FONT}`;
  ctx.textAlign = 'right';
  ctx.fillStyle = '#111';
  rows.forEach((rname, i) => ctx.fillText(short(rname, 24), left - 8, top + i * ch + ch / 2 + 4));
  ctx.textAlign = 'center';
  ctx.font = `14px ${FONT}`;
  ctx.fillText(axis.x, left + (panels.length * panelW) / 2, height - 12);
  ctx.save();
  ctx.translate(18, top + (rows.length * ch) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(axis.y, 0, 0);
  ctx.restore();
  return canvas.encode('png');
}

/** White-to-blue fill for a share in [0, 1]. */
const blue = (t: number) => {
  const a = Math.max(0, Math.min(1, t));
  const c = (lo: number, hi: number) => Math.round(hi + (lo - hi) * a);
  return `rgb(${c(8, 255)}, ${c(81, 255)}, ${c(156, 255)})`;
};

async function rankHeatmap(r: Ranking): Promise<Buffer> {
  const s = r.scopes[0]!;
  const P = r.input.participants.length;
  const order = sortedEntries(r, s).map((e) => e.participant);
  const ranks = Array.from({ length: P }, (_, i) => i + 1);
  // counts[metric][participant][rank - 1]; tied ranks (e.g. 2.5) are counted at the rank below (2)
  const counts = RANK_METRICS.map((m) =>
    s.caseRanks[m].map((row) => {
      const c = new Array<number>(P).fill(0);
      for (const v of row) if (!Number.isNaN(v)) c[Math.floor(v) - 1]! += 1;
      return c;
    }),
  );
  return matrixPanels(
    `Per-case ranks, all ${s.nCases} cases (cell: number of cases; tied ranks counted at the better integer)`,
    ranks.map((k) => `rank ${k}`),
    order.map((p) => r.input.participants[p]!.title),
    RANK_METRICS.map((m) => RANK_METRIC_TITLE[m]),
    (k, i, j) => {
      const n = counts[k]![order[j]!]![i]!;
      return { fill: blue(s.nCases ? n / s.nCases : 0), text: String(n) };
    },
    { x: 'Participant (ordered by the rank-then-aggregate ranking)', y: 'Per-case rank' },
  );
}

async function significanceMap(r: Ranking): Promise<Buffer> {
  const s = r.scopes[0]!;
  const order = sortedEntries(r, s).map((e) => e.participant);
  const names = order.map((p) => r.input.participants[p]!.title);
  return matrixPanels(
    `Significance map, all ${s.nCases} cases: row better than column (one-sided Wilcoxon, alpha ${r.alpha}${r.holm ? ', Holm' : ''})`,
    names,
    names,
    RANK_METRICS.map((m) => RANK_METRIC_TITLE[m]),
    (k, i, j) => {
      if (i === j) return { fill: '#eee', text: '' };
      const p = s.pValues[RANK_METRICS[k]!][order[i]!]![order[j]!]!;
      const sig = p < r.alpha;
      return { fill: sig ? '#E69F00' : '#fff', text: p < 0.001 ? '<.001' : formatFixed(p, 3) };
    },
    { x: 'Column participant', y: 'Row participant (better?)' },
  );
}

/** Render the three ranking charts (needs at least one participant). */
export async function renderRankingCharts(r: Ranking): Promise<ChartPng[]> {
  const out: ChartPng[] = [];
  if (r.resamples > 0) out.push({ file: 'rank_blob.png', title: 'Bootstrap rank distribution per participant (blob plot)', png: await blobPlot(r) });
  out.push({ file: 'rank_heatmap.png', title: 'Ranking heatmap: per-case ranks per metric', png: await rankHeatmap(r) });
  out.push({ file: 'significance_map.png', title: 'Significance map: pairwise one-sided Wilcoxon tests', png: await significanceMap(r) });
  return out;
}

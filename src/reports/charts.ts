/**
 * PNG charts rendered server-side with chart.js 4 on @napi-rs/canvas (prebuilt Skia binary, no compilation; see
 * docs/reports.md "Why @napi-rs/canvas"). White background, title, axis titles with units, legend, 1200x700 px.
 *
 * Charts (../shared/docs/TABLES.md "Charts"):
 * - `accuracy_dsc.png`, `accuracy_nsd.png`: grouped bars, one group per modality (+ Average), one bar per variant;
 * - `time_per_case.png`: grouped bars, one group per case (3D first), one bar per variant; log scale when the spread
 *   of the times (max/min) exceeds LOG_SCALE_RATIO;
 * - `accuracy_vs_time.png`: one point per variant, Average DSC vs mean time per case (ok cases);
 * - `dsc_per_case.png` (optional chart of TABLES.md): per-case DSC per modality, one strip of points per variant.
 */
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration, type Plugin } from 'chart.js';
import type { ReportModel, Metric } from './model.js';
import { METRIC_TITLE } from './model.js';
import { formatFixed } from '../text/numbers.js';

Chart.register(...registerables);

/** Time axes switch to a logarithmic scale when max/min of the plotted times exceeds this ratio. */
export const LOG_SCALE_RATIO = 20;
export const CHART_WIDTH = 1200;
export const CHART_HEIGHT = 700;

/** Colour-blind-friendly palette (Okabe-Ito, without yellow which is too light on white), repeated when needed. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#8C6D31'];
/** Colour i of the palette (repeats). */
export const colour = (i: number) => PALETTE[i % PALETTE.length]!;
export const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';

/** One rendered chart. */
export interface ChartPng {
  /** File name, e.g. `accuracy_dsc.png`. */
  file: string;
  /** Title, also used as the alt text in HTML. */
  title: string;
  png: Buffer;
}

const whiteBackground: Plugin = {
  id: 'whiteBackground',
  beforeDraw(chart) {
    const ctx = chart.ctx as unknown as SKRSContext2D;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

/**
 * Draws `n/a` at the foot of bars whose value is null, `0` on bars of value zero (so they do not look missing), and
 * `failed` above bars listed in `failed`. Keys are `<dataset index>:<data index>`.
 */
function barNotes(missing: Set<string>, failed: Set<string>, zero: Set<string> = new Set()): Plugin {
  return {
    id: 'barNotes',
    afterDatasetsDraw(chart) {
      const ctx = chart.ctx as unknown as SKRSContext2D;
      ctx.save();
      ctx.font = `12px ${FONT}`;
      ctx.textAlign = 'center';
      chart.data.datasets.forEach((ds, di) => {
        const meta = chart.getDatasetMeta(di);
        if (meta.hidden) return;
        meta.data.forEach((el, i) => {
          const key = `${di}:${i}`;
          const { x, y, base } = el.getProps(['x', 'y', 'base'], true) as { x: number; y: number; base: number };
          if (missing.has(key)) {
            ctx.fillStyle = '#555555';
            ctx.save();
            ctx.translate(x, chart.chartArea.bottom - 6);
            ctx.rotate(-Math.PI / 2);
            ctx.textAlign = 'left';
            ctx.textBaseline = 'middle';
            ctx.fillText('n/a', 0, 0);
            ctx.restore();
          } else if (zero.has(key)) {
            ctx.fillStyle = '#555555';
            ctx.textBaseline = 'bottom';
            ctx.fillText('0', x, base - 3);
          } else if (failed.has(key)) {
            ctx.fillStyle = '#B00020';
            ctx.textBaseline = 'bottom';
            ctx.fillText('failed', x, Math.min(y, base) - 3);
          }
        });
        void ds;
      });
      ctx.restore();
    },
  };
}

/**
 * Labels each scatter point with its dataset label, placed right of the point, else left, else above/below with
 * growing offsets, so that no two labels overlap each other or another point.
 */
const pointLabels: Plugin = {
  id: 'pointLabels',
  afterDatasetsDraw(chart) {
    const ctx = chart.ctx as unknown as SKRSContext2D;
    ctx.save();
    ctx.font = `bold 14px ${FONT}`;
    ctx.textBaseline = 'middle';
    const area = chart.chartArea;
    const points: { x: number; y: number; text: string; color: string }[] = [];
    chart.data.datasets.forEach((ds, di) => {
      for (const el of chart.getDatasetMeta(di).data) {
        const { x, y } = el.getProps(['x', 'y'], true) as { x: number; y: number };
        points.push({ x, y, text: String(ds.label ?? ''), color: (ds.borderColor as string) ?? '#000' });
      }
    });
    type Box = { x0: number; y0: number; x1: number; y1: number };
    const taken: Box[] = points.map((p) => ({ x0: p.x - 10, y0: p.y - 10, x1: p.x + 10, y1: p.y + 10 }));
    const overlaps = (b: Box) => taken.some((t) => b.x0 < t.x1 && t.x0 < b.x1 && b.y0 < t.y1 && t.y0 < b.y1);
    const inside = (b: Box) => b.x0 >= area.left && b.x1 <= area.right && b.y0 >= area.top && b.y1 <= area.bottom;
    for (const p of points) {
      const w = ctx.measureText(p.text).width;
      const h = 16;
      const candidates: Box[] = [];
      for (const dy of [0, -18, 18, -36, 36, -54, 54]) {
        candidates.push({ x0: p.x + 14, y0: p.y + dy - h / 2, x1: p.x + 14 + w, y1: p.y + dy + h / 2 });
        candidates.push({ x0: p.x - 14 - w, y0: p.y + dy - h / 2, x1: p.x - 14, y1: p.y + dy + h / 2 });
      }
      const box = candidates.find((b) => inside(b) && !overlaps(b)) ?? candidates.find(inside) ?? candidates[0]!;
      taken.push(box);
      ctx.textAlign = 'left';
      ctx.fillStyle = p.color;
      ctx.fillText(p.text, box.x0, (box.y0 + box.y1) / 2);
    }
    ctx.restore();
  },
};

/** Render a chart.js configuration to a CHART_WIDTH x CHART_HEIGHT PNG on a white background. */
export async function render(config: ChartConfiguration, plugins: Plugin[] = []): Promise<Buffer> {
  const canvas = createCanvas(CHART_WIDTH, CHART_HEIGHT);
  const ctx = canvas.getContext('2d');
  const cfg: ChartConfiguration = {
    ...config,
    options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 1 },
    plugins: [whiteBackground, ...plugins, ...(config.plugins ?? [])],
  };
  // chart.js accepts any CanvasRenderingContext2D-like object; Skia's context implements the API it uses.
  const chart = new Chart(ctx, cfg);
  try {
    return await canvas.encode('png');
  } finally {
    chart.destroy();
  }
}

/** Title, subtitle and legend options shared by every chart. */
export function commonOptions(title: string, subtitle: string, pointLegend = false) {
  return {
    layout: { padding: { top: 8, right: 24, bottom: 8, left: 8 } },
    plugins: {
      title: { display: true, text: title, font: { size: 22, weight: 'bold' as const, family: FONT }, color: '#111' },
      subtitle: { display: true, text: subtitle, font: { size: 13, family: FONT }, color: '#444', padding: { bottom: 10 } },
      legend: { display: true, position: 'top' as const, labels: { font: { size: 14, family: FONT }, color: '#222', boxWidth: 22, usePointStyle: pointLegend } },
      tooltip: { enabled: false },
    },
  };
}

/** Chart.js axis title options in the report's font and size. */
export const axisTitle = (text: string) => ({ display: true, text, font: { size: 15, family: FONT }, color: '#222' });
const ticks = (size = 13) => ({ font: { size, family: FONT }, color: '#333' });

/** Whether values with this spread (max/min of the positive ones) get a log axis. */
export function useLogScale(values: number[]): boolean {
  const pos = values.filter((v) => Number.isFinite(v) && v > 0);
  if (pos.length < 2) return false;
  return Math.max(...pos) / Math.min(...pos) > LOG_SCALE_RATIO;
}

/** Nice log-axis bounds: the 1-2-5 x 10^k values just below half the minimum and just above the maximum. */
export function logBounds(values: number[]): { min: number; max: number } | undefined {
  const pos = values.filter((v) => Number.isFinite(v) && v > 0);
  if (!pos.length) return undefined;
  const steps = [1, 2, 5, 10];
  const lo = Math.min(...pos) / 2; // one step of room below the smallest bar, so it stays visible
  const hi = Math.max(...pos);
  const kLo = Math.floor(Math.log10(lo));
  const kHi = Math.floor(Math.log10(hi));
  const min = Math.max(...steps.map((s) => s * 10 ** kLo).filter((x) => x <= lo * (1 + 1e-12)));
  const max = Math.min(...steps.map((s) => s * 10 ** kHi).filter((x) => x >= hi * (1 - 1e-12)));
  return { min: Number(min.toPrecision(1)), max: Number(max.toPrecision(1)) };
}

/** Grid colour of a log axis: visible at labelled 1-2-5 ticks, faint elsewhere. */
const logGrid = (ctx: { tick?: { value: number } }) => (ctx.tick && logTick(ctx.tick.value) ? '#d9d9d9' : '#f3f3f3');

/** Tick labels of a log axis: only 1-2-5 x 10^k, in plain decimals. */
function logTick(value: number | string): string {
  const v = Number(value);
  const mant = v / 10 ** Math.floor(Math.log10(v) + 1e-9);
  if (![1, 2, 5].some((x) => Math.abs(mant - x) < 1e-6)) return '';
  return v >= 1 ? String(Math.round(v)) : String(Number(v.toPrecision(1)));
}

function runSubtitle(m: ReportModel): string {
  const mt = m.meta.metrics;
  return `run ${m.meta.run_id} · metric mode ${mt?.mode ?? 'n/a'} · NSD tolerance ${mt?.tolerance_mm ?? 'n/a'} mm · spacing ${mt?.spacing_order ?? 'n/a'}`;
}

async function accuracyChart(m: ReportModel, metric: Metric): Promise<ChartPng> {
  const scale = m.percent ? 100 : 1;
  const rows = m.accuracyRows;
  const labels = rows.map((r) => (r.kind === 'average' ? ['Average', m.averageKind === 'modality' ? '(of modalities)' : '(of cases)'] : [r.name, `n=${r.nCases}`]));
  const missing = new Set<string>();
  const zero = new Set<string>();
  const datasets = m.variants.map((v, di) => ({
    label: v.title,
    data: rows.map((r, i) => {
      const x = r.values[metric][v.name]!;
      if (Number.isNaN(x)) {
        missing.add(`${di}:${i}`);
        return null;
      }
      if (x === 0) zero.add(`${di}:${i}`);
      return x * scale;
    }),
    backgroundColor: colour(di),
    borderColor: colour(di),
    borderWidth: 0,
  }));
  const unit = m.percent ? '%' : 'fraction, 0–1';
  const title = `${METRIC_TITLE[metric]} per modality and variant`;
  const png = await render(
    {
      type: 'bar',
      data: { labels, datasets },
      options: {
        ...commonOptions(title, `${runSubtitle(m)} · bars: mean over the modality's cases (n = cases), failed cases count 0`),
        scales: {
          // horizontal two-line labels (modality, n); smaller type when many modalities share the width
          x: { title: axisTitle('Modality'), ticks: { ...ticks(rows.length > 8 ? 12 : 14), maxRotation: 0, minRotation: 0, autoSkip: false }, grid: { display: false } },
          y: { min: 0, max: scale, title: axisTitle(`${METRIC_TITLE[metric]} (${unit})`), ticks: ticks(), grid: { color: '#e5e5e5' } },
        },
      },
    },
    [barNotes(missing, new Set(), zero)],
  );
  return { file: `accuracy_${metric}.png`, title, png };
}

async function timeChart(m: ReportModel): Promise<ChartPng> {
  const rows = m.timeRows;
  const all = rows.flatMap((r) => m.variants.map((v) => r.time[v.name]!));
  const log = useLogScale(all);
  const missing = new Set<string>();
  const failed = new Set<string>();
  const datasets = m.variants.map((v, di) => ({
    label: v.title,
    data: rows.map((r, i) => {
      const t = r.time[v.name]!;
      if (r.status[v.name] === 'failed') failed.add(`${di}:${i}`);
      if (!Number.isFinite(t) || (log && t <= 0)) {
        missing.add(`${di}:${i}`);
        return null;
      }
      return t;
    }),
    backgroundColor: colour(di),
    borderColor: colour(di),
    borderWidth: 0,
  }));
  const title = 'Running time per case and variant';
  const includes = m.variants.length ? [...new Set(m.variants.map((v) => v.kind))].map((k) => `${k}: ${m.meta.timing?.includes?.[k] ?? 'n/a'}`).join(' · ') : '';
  const png = await render(
    {
      type: 'bar',
      data: { labels: rows.map((r) => `${r.case}`), datasets },
      options: {
        ...commonOptions(title, `wall-clock seconds per case, 3D cases first · ${includes}`),
        scales: {
          x: { title: axisTitle('Case (3D first, then 2D)'), ticks: { ...ticks(12), maxRotation: 40, minRotation: 40, autoSkip: false }, grid: { display: false } },
          y: log
            ? {
                type: 'logarithmic',
                ...logBounds(all),
                title: axisTitle('Time per case (s, log scale)'),
                ticks: { ...ticks(), callback: logTick, autoSkip: false },
                grid: { color: logGrid },
              }
            : { type: 'linear', min: 0, title: axisTitle('Time per case (s)'), ticks: ticks(), grid: { color: '#e5e5e5' } },
        },
      },
    },
    [barNotes(missing, failed)],
  );
  return { file: 'time_per_case.png', title, png };
}

async function tradeoffChart(m: ReportModel): Promise<ChartPng> {
  const scale = m.percent ? 100 : 1;
  const avg = m.accuracyRows.find((r) => r.kind === 'average')!;
  const meanRow = m.timeSummary.find((s) => s.name === 'Mean')!;
  const points = m.variants
    .map((v, di) => ({ v, di, x: meanRow.time[v.name]!, y: avg.values.dsc[v.name]! * scale }))
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && p.x > 0);
  const log = useLogScale(points.map((p) => p.x));
  const datasets = points.map((p) => ({
    label: p.v.title,
    data: [{ x: p.x, y: p.y }],
    backgroundColor: colour(p.di),
    borderColor: colour(p.di),
    pointRadius: 9,
    pointHoverRadius: 9,
    clip: false as const,
  }));
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const unit = m.percent ? '%' : 'fraction, 0–1';
  const avgText = m.averageKind === 'modality' ? 'mean of modality means' : 'mean over cases';
  const title = 'Accuracy vs. running time (one point per variant)';
  const yMin = ys.length ? Math.max(0, Math.min(...ys) - 0.1 * scale) : 0;
  const png = await render(
    {
      type: 'scatter',
      data: { datasets },
      options: {
        ...commonOptions(title, `${runSubtitle(m)} · up and left is better`, true),
        layout: { padding: { top: 16, right: 24, bottom: 8, left: 8 } },
        scales: {
          x: log
            ? {
                type: 'logarithmic',
                min: xs.length ? 10 ** Math.floor(Math.log10(Math.min(...xs))) : undefined,
                max: xs.length ? 10 ** Math.ceil(Math.log10(Math.max(...xs))) : undefined,
                title: axisTitle('Mean time per case, ok cases (s, log scale)'),
                ticks: { ...ticks(), callback: logTick, autoSkip: false },
                grid: { color: logGrid },
              }
            : { type: 'linear', min: 0, suggestedMax: xs.length ? Math.max(...xs) * 1.15 : 1, title: axisTitle('Mean time per case, ok cases (s)'), ticks: ticks(), grid: { color: '#e5e5e5' } },
          y: {
            min: Number(formatFixed(Math.floor((yMin / scale) * 10) / 10 * scale, 2)),
            // room above the top value so a perfect variant (the oracle) does not sit on the frame; no tick there
            max: scale * 1.04,
            title: axisTitle(`DSC, ${avgText} (${unit})`),
            ticks: { ...ticks(), callback: (v: number | string) => (Number(v) > scale + 1e-9 ? '' : String(Number(Number(v).toFixed(4)))) },
            grid: { color: '#e5e5e5' },
          },
        },
      },
    },
    [pointLabels],
  );
  return { file: 'accuracy_vs_time.png', title, png };
}

/** Vertical lines between the modality columns of the strip plot (x = 0.5, 1.5, ...). */
function modalitySeparators(n: number): Plugin {
  return {
    id: 'modalitySeparators',
    beforeDatasetsDraw(chart) {
      const ctx = chart.ctx as unknown as SKRSContext2D;
      const x = chart.scales.x!;
      ctx.save();
      ctx.strokeStyle = '#cccccc';
      ctx.lineWidth = 1;
      for (let i = 0; i < n - 1; i++) {
        const px = Math.round(x.getPixelForValue(i + 0.5)) + 0.5;
        ctx.beginPath();
        ctx.moveTo(px, chart.chartArea.top);
        ctx.lineTo(px, chart.chartArea.bottom);
        ctx.stroke();
      }
      ctx.restore();
    },
  };
}

/**
 * Per-case DSC per modality (strip plot): one column of points per modality and variant, side by side; failed cases
 * are drawn at 0 as crosses (they count 0), NaN cases are not drawn (counted in the subtitle).
 */
async function dscStripChart(m: ReportModel): Promise<ChartPng> {
  const scale = m.percent ? 100 : 1;
  const mods = m.table.modalities;
  const nv = Math.max(1, m.variants.length);
  const width = Math.min(0.6, 0.2 * nv);
  let nanCount = 0;
  const datasets = m.variants.map((v, di) => {
    const offset = nv === 1 ? 0 : -width / 2 + (di * width) / (nv - 1);
    const rows = m.run.cases.filter((r) => r.variant === v.name).sort((a, b) => a.case.localeCompare(b.case));
    const points: { x: number; y: number }[] = [];
    const styles: string[] = [];
    const radii: number[] = [];
    rows.forEach((r, k) => {
      const value = r.status === 'failed' ? 0 : r.dsc;
      if (Number.isNaN(value)) {
        nanCount++;
        return;
      }
      const jitter = ((k * 7919) % 11) / 10 - 0.5; // deterministic, in [-0.5, 0.5]
      points.push({ x: mods.indexOf(r.modality) + offset + jitter * 0.06, y: value * scale });
      styles.push(r.status === 'failed' ? 'crossRot' : 'circle');
      radii.push(r.status === 'failed' ? 9 : 5);
    });
    return {
      label: v.title,
      data: points,
      backgroundColor: colour(di) + 'B3',
      borderColor: colour(di),
      pointRadius: radii,
      pointStyle: styles,
      borderWidth: 1.5,
      clip: false as const,
    };
  });
  const unit = m.percent ? '%' : 'fraction, 0–1';
  const title = 'Per-case DSC by modality and variant';
  const png = await render(
    {
      type: 'scatter',
      data: { datasets: datasets },
      options: {
        ...commonOptions(title, `${runSubtitle(m)} · one point per case; × = failed case (counts 0)${nanCount ? ` · ${nanCount} NaN values not drawn` : ''}`, true),
        scales: {
          x: {
            type: 'linear',
            min: -0.5,
            max: mods.length - 0.5,
            title: axisTitle('Modality'),
            afterBuildTicks: (axis: { ticks: { value: number }[] }) => {
              axis.ticks = mods.map((_, i) => ({ value: i }));
            },
            ticks: { ...ticks(mods.length > 8 ? 12 : 14), autoSkip: false, maxRotation: 0, callback: (v: number | string) => mods[Number(v)] ?? '' },
            grid: { display: false },
          },
          y: {
            min: 0,
            max: scale * 1.04, // room for points at 1.0; no tick label above the scale
            title: axisTitle(`DSC per case (${unit})`),
            ticks: { ...ticks(), callback: (v: number | string) => (Number(v) > scale + 1e-9 ? '' : String(Number(Number(v).toFixed(4)))) },
            grid: { color: '#e5e5e5' },
          },
        },
      },
    },
    [modalitySeparators(mods.length)],
  );
  return { file: 'dsc_per_case.png', title, png };
}

/**
 * Render every chart of the report as PNG (1200x700, white background).
 * @returns the charts in display order; never throws for empty runs (charts are then simply empty)
 */
export async function renderCharts(m: ReportModel): Promise<ChartPng[]> {
  return [await accuracyChart(m, 'dsc'), await accuracyChart(m, 'nsd'), await timeChart(m), await tradeoffChart(m), await dscStripChart(m)];
}

/**
 * The PNG charts of the report, rendered by chart-render.ts (chart.js 4 on @napi-rs/canvas, white background, title,
 * axis titles with units, legend, 1200x700 px) with the plug-ins of chart-plugins.ts.
 *
 * Charts (../shared/docs/TABLES.md "Charts"):
 * - `accuracy_dsc.png`, `accuracy_nsd.png`: grouped bars, one group per modality (+ Average), one bar per variant;
 * - `time_per_case.png`: grouped bars, one group per case (3D first), one bar per variant; log scale when the spread
 *   of the times (max/min) exceeds LOG_SCALE_RATIO;
 * - `accuracy_vs_time.png`: one point per variant, Average DSC vs mean time per case (ok cases);
 * - `dsc_per_case.png` (optional chart of TABLES.md): per-case DSC per modality, one strip of points per variant.
 */
import type { ReportModel, Metric } from './model-types.js';
import { METRIC_TITLE } from './model-types.js';
import { formatFixed } from '../text/numbers.js';
import { barNotes, modalitySeparators, pointLabels } from './chart-plugins.js';
import { axisTitle, colour, commonOptions, logBounds, logGrid, logTick, render, ticks, useLogScale, type ChartPng } from './chart-render.js';

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

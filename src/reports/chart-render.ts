/**
 * Server-side chart rendering shared by the report charts (charts.ts), the ranking charts (src/rank/charts.ts) and
 * the profile chart (src/profile/tables.ts): chart.js 4 on @napi-rs/canvas (prebuilt Skia binary, no compilation; see
 * docs/reports.md "Why @napi-rs/canvas"), CHART_WIDTH x CHART_HEIGHT PNGs on a white background; the palette, font,
 * title/subtitle/legend and axis options every chart shares; the log-scale rule and ticks of the time axes.
 */
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration, type Plugin } from 'chart.js';

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
/** Chart.js tick options in the report's font; `size` in px. */
export const ticks = (size = 13) => ({ font: { size, family: FONT }, color: '#333' });

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
export const logGrid = (ctx: { tick?: { value: number } }) => (ctx.tick && logTick(ctx.tick.value) ? '#d9d9d9' : '#f3f3f3');

/** Tick labels of a log axis: only 1-2-5 x 10^k, in plain decimals. */
export function logTick(value: number | string): string {
  const v = Number(value);
  const mant = v / 10 ** Math.floor(Math.log10(v) + 1e-9);
  if (![1, 2, 5].some((x) => Math.abs(mant - x) < 1e-6)) return '';
  return v >= 1 ? String(Math.round(v)) : String(Number(v.toPrecision(1)));
}

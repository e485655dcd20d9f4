/**
 * PNG charts of the fixture results folder: real chart.js rendering on @napi-rs/canvas, decoded back and inspected
 * (size, white background, one colour per variant actually drawn), plus the log-scale rule of the time axes.
 * The PNGs are also written to test-output/report-charts/ for a human look.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../src/reports/model.js';
import { CHART_HEIGHT, CHART_WIDTH, LOG_SCALE_RATIO, logBounds, useLogScale, type ChartPng } from '../../src/reports/chart-render.js';
import { renderCharts } from '../../src/reports/charts.js';

const FIXTURE = path.resolve(import.meta.dirname, '..', 'fixtures', 'results-small');
const OUT = path.resolve(import.meta.dirname, '..', '..', 'test-output', 'report-charts');

/** Decoded RGBA pixels of a PNG. */
async function pixels(png: Buffer): Promise<{ w: number; h: number; data: Uint8ClampedArray }> {
  const img = await loadImage(png);
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { w: img.width, h: img.height, data: ctx.getImageData(0, 0, img.width, img.height).data };
}

/** Pixels of exactly this colour below row `fromY` (below title, subtitle and legend: the plot itself). */
function countColour(data: Uint8ClampedArray, w: number, hex: string, fromY: number): number {
  const r = parseInt(hex.slice(1, 3), 16);
  const g = parseInt(hex.slice(3, 5), 16);
  const b = parseInt(hex.slice(5, 7), 16);
  let n = 0;
  for (let i = fromY * w * 4; i < data.length; i += 4) if (data[i] === r && data[i + 1] === g && data[i + 2] === b && data[i + 3] === 255) n++;
  return n;
}

describe('charts of the fixture run', () => {
  let charts: ChartPng[];
  beforeAll(async () => {
    charts = await renderCharts(buildModel(FIXTURE));
    mkdirSync(OUT, { recursive: true });
    for (const c of charts) writeFileSync(path.join(OUT, c.file), c.png);
  });

  it('renders the four documented charts and the optional per-case DSC strip plot', () => {
    expect(charts.map((c) => c.file)).toEqual(['accuracy_dsc.png', 'accuracy_nsd.png', 'time_per_case.png', 'accuracy_vs_time.png', 'dsc_per_case.png']);
  });

  it('each is a decodable 1200x700 PNG with an opaque white background and every variant colour drawn', async () => {
    // variant colours in run.json order: oracle, noaug-fp32, aug_int8 (Okabe-Ito palette of chart-render.ts)
    const colours = ['#0072B2', '#E69F00', '#009E73'];
    for (const c of charts) {
      expect(c.png.subarray(1, 4).toString('latin1')).toBe('PNG');
      const { w, h, data } = await pixels(c.png);
      expect([w, h]).toEqual([CHART_WIDTH, CHART_HEIGHT]);
      for (const [x, y] of [[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]] as const) {
        const i = (y * w + x) * 4;
        expect([...data.subarray(i, i + 4)], `${c.file} corner ${x},${y}`).toEqual([255, 255, 255, 255]);
      }
      // the legend sits above y = 110 in every chart; below it, each variant's bars or points must be drawn
      for (const col of colours) expect(countColour(data, w, col, 120), `${c.file} ${col}`).toBeGreaterThan(40);
      // not a blank image: a fair share of non-white pixels (bars, text, grid)
      let nonWhite = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i]! < 250 || data[i + 1]! < 250 || data[i + 2]! < 250) nonWhite++;
      expect(nonWhite / (w * h), c.file).toBeGreaterThan(0.02);
    }
  });
});

describe('time axis scale rule', () => {
  it(`log scale only when max/min of the positive times exceeds ${LOG_SCALE_RATIO}`, () => {
    expect(useLogScale([1, 20])).toBe(false);
    expect(useLogScale([1, 20.5])).toBe(true);
    expect(useLogScale([0, 1, 5, NaN])).toBe(false);
    expect(useLogScale([7])).toBe(false);
    const m = buildModel(FIXTURE);
    const times = m.timeRows.flatMap((r) => Object.values(r.time));
    expect(useLogScale(times)).toBe(Math.max(...times) / Math.min(...times) > LOG_SCALE_RATIO);
  });

  it('log bounds are 1-2-5 steps enclosing half the minimum and the maximum', () => {
    const b = logBounds([0.021, 3, 24.87])!;
    expect(b.min).toBeLessThanOrEqual(0.021 / 2);
    expect(b.max).toBeGreaterThanOrEqual(24.87);
    for (const x of [b.min, b.max]) {
      const mant = x / 10 ** Math.floor(Math.log10(x) + 1e-9);
      expect([1, 2, 5].some((s) => Math.abs(mant - s) < 1e-9), String(x)).toBe(true);
    }
    expect(b.max / 24.87).toBeLessThan(2.5); // the next 1-2-5 step, not a whole decade more
    expect(logBounds([])).toBeUndefined();
  });
});

/**
 * chart.js plug-ins of the report charts (charts.ts), drawn on the @napi-rs/canvas context: notes on bars (`n/a`,
 * `0`, `failed`), non-overlapping labels of scatter points, and separators between the modality columns of the strip
 * plot.
 */
import type { SKRSContext2D } from '@napi-rs/canvas';
import type { Plugin } from 'chart.js';
import { FONT } from './chart-render.js';

/**
 * Draws `n/a` at the foot of bars whose value is null, `0` on bars of value zero (so they do not look missing), and
 * `failed` above bars listed in `failed`. Keys are `<dataset index>:<data index>`.
 */
export function barNotes(missing: Set<string>, failed: Set<string>, zero: Set<string> = new Set()): Plugin {
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
export const pointLabels: Plugin = {
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

/** Vertical lines between the modality columns of the strip plot (x = 0.5, 1.5, ...). */
export function modalitySeparators(n: number): Plugin {
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

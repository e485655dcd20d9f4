/**
 * Segmentation overlays of a run (docs/overlays.md): per case x variant a JPEG thumbnail with the image, the
 * ground-truth contour (green), the predicted contour per label (label colours), the box prompts (dashed yellow) and
 * DSC/NSD in the caption; per case also the image with the ground truth alone (`variant` = `gt`). 3D cases: one
 * overlay per chosen slice (chooseSlices). Used by `bench report` (files in report/overlays/, thumbnails in the
 * HTML report) and by the Fig. 2-style figure (figure.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCanvas } from '@napi-rs/canvas';
import type { CaseRow, RunData } from '../results/store.js';
import { formatMetric } from '../reports/format.js';
import { drawPlane } from './draw.js';
import { chooseSlices, loadOverlayCase, loadSegs, planeOf, type OverlayCase } from './load.js';

export { chooseSlices, loadOverlayCase, loadSegs, planeOf } from './load.js';

/** Name used for the "image with ground truth" column. */
export const GT_VARIANT = 'gt';

/** Options of {@link renderOverlays}. */
export interface OverlayOptions {
  /** 3D: draw this axial slice instead of the per-label largest-area slices. */
  slice?: number;
  /** 3D: at most this many slices per case (default 3). */
  maxSlices?: number;
  /** Thumbnail image size in pixels (longest side, default 256); a caption strip is added below. */
  size?: number;
  /** JPEG quality 1-100 (default 80). */
  quality?: number;
}

/** One rendered overlay. */
export interface Overlay {
  case: string;
  modality: string;
  /** Variant name, or `gt` for the image with the ground truth only. */
  variant: string;
  /** 3D: the axial slice drawn; undefined for 2D. */
  slice?: number;
  status: CaseRow['status'] | 'missing' | 'gt';
  caption: string;
  /** File name relative to the overlays folder, e.g. `3DBox_CT_0001/aug-int8_z12.jpg`. */
  file: string;
  jpeg: Buffer;
}

/** Result of an overlay pass. */
export interface OverlaySet {
  overlays: Overlay[];
  /** Wall-clock seconds of the pass (reading, drawing, encoding). */
  seconds: number;
  /** Cases that could not be drawn, with the reason (e.g. imgs file not found). */
  problems: string[];
}

const CAPTION_H = 20;

/** Caption of an overlay: variant, slice, DSC/NSD of the case (or its status). */
export function overlayCaption(variant: string, row: CaseRow | undefined, slice: number | undefined): string {
  const z = slice === undefined ? '' : ` z=${slice}`;
  if (variant === GT_VARIANT) return `image + GT${z}`;
  if (!row) return `${variant}${z}: no result`;
  if (row.status !== 'ok') return `${variant}${z}: FAILED`;
  return `${variant}${z} DSC ${formatMetric(row.dsc, false)} NSD ${formatMetric(row.nsd, false)}`;
}

async function thumbnail(c: OverlayCase, z: number, segs: Parameters<typeof planeOf>[2], withGts: boolean, caption: string, size: number, quality: number): Promise<Buffer> {
  const canvas = createCanvas(size, size + CAPTION_H);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, size, size + CAPTION_H);
  drawPlane(ctx, planeOf(c, z, segs, withGts), 0, 0, size);
  ctx.fillStyle = '#111';
  ctx.font = '12px DejaVu Sans, Arial, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.fillText(caption, 4, size + CAPTION_H / 2, size - 8);
  return canvas.encode('jpeg', quality);
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * Draw every case x variant of a run. A case whose imgs file cannot be read is listed in `problems` and skipped;
 * a failed or missing prediction is drawn with the ground truth only and says so in its caption.
 * @param outDir when given, each JPEG is also written to `<outDir>/<case>/<variant>[_z<slice>].jpg`
 */
export async function renderOverlays(run: RunData, opts: OverlayOptions = {}, outDir?: string): Promise<OverlaySet> {
  const t0 = performance.now();
  const size = opts.size ?? 256;
  const quality = opts.quality ?? 80;
  const variants = [...new Set([...(run.meta.variants ?? []).map((v) => v.name), ...run.cases.map((r) => r.variant)])];
  const names = [...new Set(run.cases.map((r) => r.case))];
  const overlays: Overlay[] = [];
  const problems: string[] = [];
  for (const name of names) {
    let c: OverlayCase;
    try {
      c = await loadOverlayCase(run.meta.cases_dir, name);
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message}`);
      continue;
    }
    const modality = run.cases.find((r) => r.case === name)!.modality;
    const slices = chooseSlices(c, { slice: opts.slice, max: opts.maxSlices });
    const sliceOf = (z: number) => (c.dim === 3 ? z : undefined);
    for (const z of slices) {
      const caption = overlayCaption(GT_VARIANT, undefined, sliceOf(z));
      const file = `${safe(name)}/${GT_VARIANT}${c.dim === 3 ? `_z${z}` : ''}.jpg`;
      overlays.push({ case: name, modality, variant: GT_VARIANT, slice: sliceOf(z), status: 'gt', caption, file, jpeg: await thumbnail(c, z, undefined, true, caption, size, quality) });
    }
    for (const v of variants) {
      const row = run.cases.find((r) => r.case === name && r.variant === v);
      const segs = row?.status === 'ok' ? await loadSegs(run.dir, v, name) : undefined;
      for (const z of slices) {
        const caption = row?.status === 'ok' && !segs ? `${v}: segs file not found` : overlayCaption(v, row, sliceOf(z));
        const file = `${safe(name)}/${safe(v)}${c.dim === 3 ? `_z${z}` : ''}.jpg`;
        const jpeg = await thumbnail(c, z, segs, true, caption, size, quality);
        overlays.push({ case: name, modality, variant: v, slice: sliceOf(z), status: row?.status ?? 'missing', caption, file, jpeg });
      }
    }
  }
  if (outDir) {
    for (const o of overlays) {
      const p = path.join(outDir, o.file);
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, o.jpeg);
    }
  }
  return { overlays, seconds: (performance.now() - t0) / 1e3, problems };
}

/**
 * Drawing of one segmentation overlay on @napi-rs/canvas: the image (2D RGB as stored, or one axial slice of a 3D
 * case in grey), the ground-truth contour of every label in green, the predicted contour of every label in that
 * label's own colour (never green), and the box prompts as dashed yellow rectangles. Label maps are sampled to the
 * output grid by nearest neighbour and contours are the pixels whose 4-neighbourhood leaves the label, so contours
 * stay crisp at any scale (no smoothing of labels).
 */
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import type { NdArray } from '../types.js';

/** One plane to draw: image and label maps share the (H, W) grid. */
export interface OverlayPlane {
  /** H x W x 3 RGB (2D cases) or H x W grey (a 3D slice), uint8, row-major. */
  rgb: Uint8Array;
  channels: 1 | 3;
  height: number;
  width: number;
  /** Ground-truth labels of the plane (H x W), or undefined when not drawn. */
  gts?: Uint16Array;
  /** Predicted labels of the plane (H x W), or undefined (failed case, or the "image with GT" column). */
  segs?: Uint16Array;
  /** Box prompts in plane pixels, inclusive: [x0, y0, x1, y1]. */
  boxes: number[][];
}

export const GT_COLOUR: [number, number, number] = [0, 230, 64];
export const BOX_COLOUR = '#ffd400';

/** Prediction colours: distinct, none green (ground truth) or yellow (boxes); repeated after 10 labels. */
const LABEL_PALETTE: [number, number, number][] = [
  [255, 0, 255], [255, 48, 48], [48, 128, 255], [0, 229, 255], [255, 128, 0],
  [160, 64, 255], [255, 128, 192], [255, 255, 255], [128, 128, 255], [192, 0, 0],
];

/** Colour of predicted label `label` (1-based) in the overlays. */
export function labelColour(label: number): [number, number, number] {
  return LABEL_PALETTE[(label - 1) % LABEL_PALETTE.length]!;
}

/** Integer label values of any integer NdArray as a Uint16Array copy of one slice (or the whole array). */
export function labelSlice(a: NdArray, offset: number, length: number): Uint16Array {
  const out = new Uint16Array(length);
  const d = a.data;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) for (let i = 0; i < length; i++) out[i] = Number(d[offset + i]!);
  else for (let i = 0; i < length; i++) out[i] = d[offset + i]!;
  return out;
}

/** Nearest-neighbour resample of an H x W label map to h x w. */
function resampleLabels(src: Uint16Array, H: number, W: number, h: number, w: number): Uint16Array {
  const out = new Uint16Array(h * w);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(H - 1, Math.floor(((y + 0.5) * H) / h));
    for (let x = 0; x < w; x++) out[y * w + x] = src[sy * W + Math.min(W - 1, Math.floor(((x + 0.5) * W) / w))]!;
  }
  return out;
}

/** Paint the boundary pixels of every label (pixels with a 4-neighbour of another label), `thick` pixels wide. */
function paintContours(px: Uint8ClampedArray, labels: Uint16Array, w: number, h: number, colour: (label: number) => [number, number, number], thick: number): void {
  const edge = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const v = labels[i]!;
      if (v === 0) continue;
      if ((x > 0 && labels[i - 1] !== v) || (x < w - 1 && labels[i + 1] !== v) || (y > 0 && labels[i - w] !== v) || (y < h - 1 && labels[i + w] !== v) || x === 0 || y === 0 || x === w - 1 || y === h - 1) {
        edge[i] = 1;
      }
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!edge[y * w + x]) continue;
      const [r, g, b] = colour(labels[y * w + x]!);
      // thicken inwards/downwards so neighbouring labels keep their own colour on their side
      for (let dy = 0; dy < thick; dy++) {
        for (let dx = 0; dx < thick; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= h || xx >= w || labels[yy * w + xx] !== labels[y * w + x]) continue;
          const j = (yy * w + xx) * 4;
          px[j] = r;
          px[j + 1] = g;
          px[j + 2] = b;
        }
      }
    }
  }
}

/**
 * Draw a plane into `ctx` at (x, y), scaled to fit `size` x `size` (aspect kept, centred, black margins).
 * @param thick contour width in output pixels (default: 1 per 256 output pixels, at least 1)
 * @returns the drawn rectangle
 */
export function drawPlane(ctx: SKRSContext2D, plane: OverlayPlane, x: number, y: number, size: number, thick?: number): { x: number; y: number; w: number; h: number } {
  const { height: H, width: W } = plane;
  const scale = size / Math.max(H, W);
  const w = Math.max(1, Math.round(W * scale));
  const h = Math.max(1, Math.round(H * scale));
  const ox = x + Math.floor((size - w) / 2);
  const oy = y + Math.floor((size - h) / 2);
  ctx.fillStyle = '#000';
  ctx.fillRect(x, y, size, size);
  // the image at native resolution, scaled by the canvas (smooth)
  const native = createCanvas(W, H);
  const nctx = native.getContext('2d');
  const img = nctx.createImageData(W, H);
  const n = W * H;
  for (let i = 0; i < n; i++) {
    const j = i * 4;
    if (plane.channels === 3) {
      img.data[j] = plane.rgb[i * 3]!;
      img.data[j + 1] = plane.rgb[i * 3 + 1]!;
      img.data[j + 2] = plane.rgb[i * 3 + 2]!;
    } else {
      img.data[j] = img.data[j + 1] = img.data[j + 2] = plane.rgb[i]!;
    }
    img.data[j + 3] = 255;
  }
  nctx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(native, ox, oy, w, h);
  // contours at output resolution
  const t = thick ?? Math.max(1, Math.round(size / 256));
  const out = ctx.getImageData(ox, oy, w, h);
  if (plane.gts) paintContours(out.data, resampleLabels(plane.gts, H, W, h, w), w, h, () => GT_COLOUR, t);
  if (plane.segs) paintContours(out.data, resampleLabels(plane.segs, H, W, h, w), w, h, labelColour, t);
  ctx.putImageData(out, ox, oy);
  ctx.save();
  ctx.strokeStyle = BOX_COLOUR;
  ctx.lineWidth = Math.max(1, t);
  ctx.setLineDash([4 * t, 3 * t]);
  for (const b of plane.boxes) {
    const [x0, y0, x1, y1] = b as [number, number, number, number];
    ctx.strokeRect(ox + x0 * scale, oy + y0 * scale, (x1 - x0 + 1) * scale, (y1 - y0 + 1) * scale);
  }
  ctx.restore();
  return { x: ox, y: oy, w, h };
}

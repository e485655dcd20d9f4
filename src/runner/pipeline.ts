/**
 * The LiteMedSAM box-prompted inference pipeline for 2D and 3D challenge cases (../shared/docs/PIPELINE.md, i.e.
 * `CVPR24_LiteMedSAM_infer.py` on branch LiteMedSAM of bowang-lab/MedSAM), over an abstract encoder/decoder
 * ({@link SegModel}) so the same code drives ONNX sessions, the oracle models and tests.
 *
 * Documented deviations (all leave masks of valid cases identical to the reference):
 * - `segs` is uint16 when a case has more than 255 boxes (src/io/segs.ts segsDType); the reference's uint8 wraps.
 * - 3D: with more than 255 boxes the previous-slice mask used for the propagation prompt holds min(i, 255).
 * - 3D embedding cache (option, on by default in the runner): each slice is encoded once per case and its embedding
 *   reused by every box that visits it; with it off the encoder is called once per slice visit, as the reference.
 * - The pipeline takes a {@link CheckedCase} only: the case rules (src/cases/rules.ts, the same rules as
 *   `bench cases validate`) have refused what the reference crashes on (image height 1, a side that would resize to 0,
 *   z_min >= z_max, z_middle outside the volume) and what the challenge format forbids, with one message per rule.
 */
import type { NdArray } from '../types.js';
import type { CheckedCase } from '../cases/rules.js';
import { emptySegs } from '../io/segs.js';
import {
  bbox256FromMask,
  box256,
  FRAME,
  longestSideSize,
  normalizePad,
  postprocessMask,
  resizeLongestSide,
  type Image8,
} from './imageops.js';

/** x_min, y_min, x_max, y_max in the FRAME x FRAME padded frame. */
export type Box4 = [number, number, number, number];

/**
 * An encoder/decoder pair. `E` is the embedding as the implementation keeps it (opaque to the pipeline).
 * encode: image float32 [1,3,256,256] (normalised, padded, channel first) -> embedding ([1,256,64,64] for LiteMedSAM).
 * decode: embedding + box in the 256 frame -> logits float32 [1,1,256,256] (row-major, 65536 values).
 */
export interface SegModel<E = unknown> {
  encode(image: Float32Array): Promise<E>;
  decode(embedding: E, box: Box4): Promise<Float32Array>;
}

export interface PipelineOptions {
  /** 3D: encode each slice once and reuse its embedding across boxes (identical masks). Default true. */
  embeddingCache?: boolean;
  /** Upper bound of cached embeddings in bytes (least recently used evicted). Default 1 GiB (256 LiteMedSAM slices). */
  embeddingCacheMaxBytes?: number;
  /** Bytes of one embedding, for the cache bound. Default 256*64*64*4. */
  embeddingBytes?: number;
  /** Record the boxes used (the golden e2e/trace format). */
  trace?: boolean;
}

export interface TraceStep {
  z: number;
  pass: 'up' | 'down';
  source: 'mid' | 'prev' | 'fallback';
  box256: number[];
  mask_pixels: number;
}
export interface TraceBox {
  box_index: number;
  box: number[];
  box256?: number[];
  mask_pixels?: number;
  z_middle?: number;
  mid_box256?: number[];
  steps?: TraceStep[];
}

export interface PipelineResult {
  /** (H,W) for 2D, (D,H,W) for 3D; uint8, or uint16 when more than 255 boxes. */
  segs: NdArray;
  /** Boxes in the case. */
  nBoxes: number;
  encoderCalls: number;
  decoderCalls: number;
  /** 3D: distinct slices encoded. */
  uniqueSlicesEncoded?: number;
  /** 3D: slice visits served from the embedding cache. */
  embeddingCacheHits?: number;
  /** Seconds in pre-processing (resize + normalise), post-processing (bilinear + threshold + writes) and prompts. */
  preS: number;
  postS: number;
  trace?: TraceBox[];
}

const now = () => performance.now() / 1000;

/**
 * 2D case: imgs (H,W,3) uint8, boxes (N,4) = x_min, y_min, x_max, y_max (pixels,
 * inclusive). One encoder call; one decoder call per box in file order; later boxes overwrite earlier ones.
 * @returns segs (H,W) uint8 (uint16 when N > 255) and call counts.
 */
export async function predict2D<E>(c: CheckedCase, model: SegModel<E>, opts: PipelineOptions = {}): Promise<PipelineResult> {
  const [H, W] = c.spatialShape as [number, number];
  const rows = c.boxes;
  const data = c.imgs.data;
  let t = now();
  const [newH, newW] = longestSideSize(H, W);
  const img: Image8 = { data, height: H, width: W, channels: 3 };
  const x = normalizePad(resizeLongestSide(img));
  let preS = now() - t;
  const emb = await model.encode(x);
  const segs = emptySegs([H, W], rows.length);
  const out = segs.data as Uint8Array | Uint16Array;
  const trace: TraceBox[] | undefined = opts.trace ? [] : undefined;
  let postS = 0;
  for (let i = 1; i <= rows.length; i++) {
    t = now();
    const b = box256(rows[i - 1]!, H, W) as Box4;
    preS += now() - t;
    const logits = await model.decode(emb, b);
    t = now();
    const n = postprocessMask(logits, newH, newW, H, W, out, i);
    postS += now() - t;
    trace?.push({ box_index: i, box: rows[i - 1]!, box256: b, mask_pixels: n });
  }
  return { segs, nBoxes: rows.length, encoderCalls: 1, decoderCalls: rows.length, preS, postS, trace };
}

/** LRU map of slice embeddings bounded by a count. */
class EmbeddingCache<E> {
  private readonly map = new Map<number, E>();
  constructor(private readonly maxEntries: number) {}
  get(z: number): E | undefined {
    const e = this.map.get(z);
    if (e !== undefined) {
      this.map.delete(z);
      this.map.set(z, e);
    }
    return e;
  }
  set(z: number, e: E): void {
    if (this.maxEntries <= 0) return;
    this.map.set(z, e);
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value as number);
  }
}

/**
 * 3D case: imgs (D,H,W) uint8, boxes (N,6) = x_min, y_min, z_min, x_max, y_max, z_max. Per box (file order): z_middle
 * = int((z_max - z_min)/2 + z_min); upward pass z_middle..min(z_max, D-1), downward pass z_middle-1..max(z_min, 0)
 * (both inclusive). Prompt: box256 of the 2D box on z_middle; elsewhere the previous slice's mask (same pass) resized
 * by INTER_AREA as {0, min(i,255)} -> tight box + 3 px clamped to [0,256], or box256 of the 2D box when that resized
 * mask is empty. segs[mask] = i, later boxes overwrite earlier ones.
 * @returns segs (D,H,W) uint8 (uint16 when N > 255), encoder/decoder calls, unique slices encoded.
 */
export async function predict3D<E>(c: CheckedCase, model: SegModel<E>, opts: PipelineOptions = {}): Promise<PipelineResult> {
  const [D, H, W] = c.spatialShape as [number, number, number];
  const rows = c.boxes;
  const data = c.imgs.data;
  const [newH, newW] = longestSideSize(H, W);
  const plane = H * W;
  const segs = emptySegs([D, H, W], rows.length);
  const out = segs.data as Uint8Array | Uint16Array;
  const useCache = opts.embeddingCache ?? true;
  const embBytes = opts.embeddingBytes ?? 256 * 64 * 64 * 4;
  const cache = new EmbeddingCache<E>(useCache ? Math.floor((opts.embeddingCacheMaxBytes ?? 2 ** 30) / embBytes) : 0);
  const encodedSlices = new Set<number>();
  let encoderCalls = 0;
  let decoderCalls = 0;
  let cacheHits = 0;
  let preS = 0;
  let postS = 0;
  const x = new Float32Array(3 * FRAME * FRAME);
  const embedding = async (z: number): Promise<E> => {
    if (useCache) {
      const e = cache.get(z);
      if (e !== undefined) {
        cacheHits++;
        return e;
      }
    }
    const t = now();
    const slice: Image8 = { data: data.subarray(z * plane, (z + 1) * plane), height: H, width: W, channels: 1 };
    normalizePad(resizeLongestSide(slice), x);
    preS += now() - t;
    const e = await model.encode(x);
    encoderCalls++;
    encodedSlices.add(z);
    if (useCache) cache.set(z, e);
    return e;
  };
  const trace: TraceBox[] | undefined = opts.trace ? [] : undefined;
  // Per-slice masks of the current box holding k = min(i,255) (the reference's tmp[z] as uint8), with the row range
  // that may hold non-zero pixels (so clearing, copying and the prompt box only touch those rows).
  interface MaskBuf {
    data: Uint8Array;
    y0: number;
    y1: number;
  }
  const newBuf = (): MaskBuf => ({ data: new Uint8Array(plane), y0: 0, y1: -1 });
  const clear = (b: MaskBuf): void => {
    if (b.y0 <= b.y1) b.data.fill(0, b.y0 * W, (b.y1 + 1) * W);
    b.y0 = 0;
    b.y1 = -1;
  };
  const copyInto = (dst: MaskBuf, src: MaskBuf): void => {
    clear(dst);
    if (src.y0 <= src.y1) dst.data.set(src.data.subarray(src.y0 * W, (src.y1 + 1) * W), src.y0 * W);
    dst.y0 = src.y0;
    dst.y1 = src.y1;
  };
  let cur = newBuf();
  let prev = newBuf();
  const mid = newBuf();
  const rowsOut = new Int32Array(2);
  for (let i = 1; i <= rows.length; i++) {
    const [x0, y0, z0, x1, y1, z1] = rows[i - 1]! as [number, number, number, number, number, number];
    const zMid = Math.trunc((z1 - z0) / 2 + z0);
    const mid2d = [x0, y0, x1, y1];
    const midBox = box256(mid2d, H, W) as Box4;
    const k = Math.min(i, 255);
    const tb: TraceBox | undefined = trace ? { box_index: i, box: rows[i - 1]!, z_middle: zMid, mid_box256: midBox, steps: [] } : undefined;
    if (tb) trace!.push(tb);
    const step = async (z: number, pass: 'up' | 'down', p: MaskBuf | null): Promise<void> => {
      let b: Box4 = midBox;
      let source: TraceStep['source'] = 'mid';
      if (p) {
        const t = now();
        const pb = p.y0 <= p.y1 ? bbox256FromMask(p.data, H, W, 3, [p.y0, p.y1]) : null;
        preS += now() - t;
        if (pb) {
          b = pb as Box4;
          source = 'prev';
        } else source = 'fallback';
      }
      const e = await embedding(z);
      const logits = await model.decode(e, b);
      decoderCalls++;
      const t = now();
      clear(cur);
      const n = postprocessMask(logits, newH, newW, H, W, cur.data, k, undefined, rowsOut);
      cur.y0 = rowsOut[0]!;
      cur.y1 = rowsOut[1]!;
      if (n > 0) {
        const o = z * plane;
        const m = cur.data;
        for (let q = cur.y0 * W, end = (cur.y1 + 1) * W; q < end; q++) if (m[q] !== 0) out[o + q] = i;
      }
      postS += now() - t;
      tb?.steps!.push({ z, pass, source, box256: b, mask_pixels: n });
    };
    const zTop = Math.min(z1, D - 1);
    for (let z = zMid; z <= zTop; z++) {
      await step(z, 'up', z === zMid ? null : prev);
      if (z === zMid) copyInto(mid, cur);
      [prev, cur] = [cur, prev];
    }
    copyInto(prev, mid);
    const zBottom = Math.max(z0, 0);
    for (let z = zMid - 1; z >= zBottom; z--) {
      await step(z, 'down', prev);
      [prev, cur] = [cur, prev];
    }
  }
  return {
    segs,
    nBoxes: rows.length,
    encoderCalls,
    decoderCalls,
    uniqueSlicesEncoded: encodedSlices.size,
    embeddingCacheHits: cacheHits,
    preS,
    postS,
    trace,
  };
}

/**
 * Predict one case the case rules passed (2D or 3D by its `dim`).
 * @returns segs, call counts, seconds of pre-/post-processing and the dimension.
 */
export async function predictCase<E>(c: CheckedCase, model: SegModel<E>, opts: PipelineOptions = {}): Promise<PipelineResult & { dim: 2 | 3 }> {
  const r = c.dim === 2 ? await predict2D(c, model, opts) : await predict3D(c, model, opts);
  return { ...r, dim: c.dim };
}

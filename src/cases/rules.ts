/**
 * The case rules: array-level checks of one case (no I/O), the one place that decides whether a case is valid.
 * `bench cases validate` and the `bench run` pre-check (through validateCase), and every runner through
 * {@link checkCase} (src/cases/validate.ts loadCaseImgs: `bench predict`, onnx variants, the command/docker runners
 * before a predictor sees the case, calibration) apply these rules, so a case gets the same verdict and the same
 * message ({@link formatCaseErrors}) everywhere; the inference pipeline accepts only a {@link CheckedCase}.
 * Sources: ../shared/docs/PROTOCOL.md ("Case files") for the file format, ../shared/docs/PIPELINE.md for
 * what crashes the reference pipeline (CVPR24_LiteMedSAM_infer.py) — every such input is an error here:
 *   - image (slice) height 1, or a side that resizes to 0 (aspect ratio above 512:1): cv2.resize / the reference crash;
 *   - a 3D box with z_min >= z_max: the reference asserts z_min < z_max;
 *   - a box whose middle slice is outside the volume (covered by "box outside the image").
 * Stricter than the reference (the challenge's file format): imgs must be uint8, boxes integer and inside the image,
 * 3D cases need a spacing, a case needs at least one box. Overlapping boxes are a warning (the later box wins).
 */
import type { Dim, NdArray } from '../types.js';
import { formatShape, isIntegerDType, toRows } from '../io/ndarray.js';
import type { CaseName } from './names.js';
import { BOX_OVERLAP_RULE, boxOverlap } from './overlap.js';

/** One validation finding. `error` makes the case invalid; `warning` is informative. */
export interface CaseProblem {
  /** Path of the file concerned. */
  file: string;
  /** npz key concerned (`imgs`, `boxes`, `spacing`, `gts`), or `(file)` / `(name)` for file-level problems. */
  key: string;
  expected: string;
  found: string;
  message: string;
  severity: 'error' | 'warning';
  /** A warning that strict metrics make an error (a NaN spacing: the official scorer still scores it). */
  strictError?: true;
}

const MAX_REPORTED_BOXES = 5;

/** Collects the problems of one file (errors make the case invalid, warnings inform). */
export class Collector {
  readonly list: CaseProblem[] = [];
  constructor(readonly file: string) {}
  error(key: string, message: string, expected: string, found: string): void {
    this.list.push({ file: this.file, key, expected, found, message, severity: 'error' });
  }
  warn(key: string, message: string, expected: string, found: string, strictError?: true): void {
    this.list.push({ file: this.file, key, expected, found, message, severity: 'warning', ...(strictError ? { strictError } : {}) });
  }
  get hasErrors(): boolean {
    return this.list.some((p) => p.severity === 'error');
  }
}

/** Smallest and largest value of an array; [NaN, NaN] when empty. */
export function minMax(a: NdArray): [number, number] {
  const d = a.data;
  if (d.length === 0) return [NaN, NaN];
  let lo = Number(d[0]!);
  let hi = lo;
  for (let i = 1; i < d.length; i++) {
    const v = Number(d[i]!);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * Checks a stored spacing: (3,) numeric, finite and > 0 (mm); a missing one is an error when `required` (3D).
 * A NaN value (the others finite and > 0) is a warning marked `strictError`: the official scorer still scores such
 * a case — DSC as usual, NSD NaN (NaN surfel areas, ../shared/docs/METRICS.md §5.1) — and official mode reproduces it
 * (src/metrics/case.ts); strict mode refuses it. Zero, infinite and negative values are errors everywhere (with a
 * negative one the official NSD comes from scipy's feature transform missing the nearest surface; not reproduced).
 * @returns the 3 values (NaN included), or undefined when unusable (the problem is collected)
 */
export function checkSpacing(c: Collector, sp: NdArray | undefined, required: boolean): number[] | undefined {
  if (!sp) {
    if (required) c.error('spacing', "missing key 'spacing' (3D cases need the voxel spacing in mm)", "key 'spacing', float (3,)", 'absent');
    return undefined;
  }
  if (sp.dtype === 'bool') {
    c.error('spacing', 'spacing must be numeric', 'float (3,)', 'bool');
    return undefined;
  }
  if (sp.shape.length !== 1 || sp.shape[0] !== 3) {
    c.error('spacing', 'spacing must hold 3 values', 'shape (3,)', formatShape(sp.shape));
    return undefined;
  }
  const v = Array.from(sp.data as ArrayLike<number | bigint>, Number);
  if (!v.every((x) => Number.isNaN(x) || (x > 0 && Number.isFinite(x)))) {
    c.error('spacing', 'spacing must be finite and positive (mm)', '3 finite values > 0', `[${v.join(', ')}]`);
    return undefined;
  }
  if (v.some((x) => Number.isNaN(x))) {
    c.warn(
      'spacing',
      'spacing holds NaN: official mode scores the case as the official scorer does (DSC as usual, NSD NaN when DSC > 0.2, else 0); strict mode refuses it',
      '3 finite values > 0',
      `[${v.join(', ')}]`,
      true,
    );
  }
  return v;
}

export interface ImgsFacts {
  dim?: Dim;
  spatialShape?: number[];
  nBoxes?: number;
  boxes?: number[][];
  spacing?: number[];
  /** Pixels / voxels inside more than one box (src/cases/overlap.ts); set when the boxes are valid. */
  boxOverlap?: number;
}

/** Checks an imgs file's arrays; returns the facts needed to check the gts file. */
export function checkImgsArrays(c: Collector, cn: CaseName | undefined, arrays: Record<string, NdArray>): ImgsFacts {
  const facts: ImgsFacts = {};
  const imgs = arrays.imgs;
  const boxesArr = arrays.boxes;
  let boxesDim: Dim | undefined;
  if (boxesArr) {
    const w = boxesArr.shape[1];
    if (boxesArr.shape.length !== 2 || (w !== 4 && w !== 6)) {
      c.error('boxes', 'boxes must be an (N,4) 2D or (N,6) 3D array', '(N, 4) or (N, 6)', formatShape(boxesArr.shape));
    } else {
      boxesDim = w === 4 ? 2 : 3;
    }
    if (!isIntegerDType(boxesArr.dtype)) {
      c.error('boxes', 'boxes must be integer pixel/voxel coordinates', 'an integer dtype (int64 in challenge files)', boxesArr.dtype);
    }
    if (boxesArr.shape.length === 2 && boxesArr.shape[0] === 0) c.error('boxes', 'no boxes: the case has no object to segment', 'N >= 1', formatShape(boxesArr.shape));
  }
  if (cn && boxesDim !== undefined && cn.dim !== boxesDim) {
    c.error(
      'boxes',
      `boxes of width ${boxesArr!.shape[1]} are ${boxesDim}D boxes but the file name says ${cn.dim}D (${cn.dim}DBox_)`,
      `width ${cn.dim === 2 ? 4 : 6} for a ${cn.dim}DBox_ case`,
      `width ${boxesArr!.shape[1]}`,
    );
  }
  const dim: Dim | undefined = cn?.dim ?? boxesDim;
  facts.dim = dim;
  if (imgs) {
    const s = imgs.shape;
    if (dim === 2) {
      if (s.length !== 3 || s[2] !== 3) c.error('imgs', '2D imgs must be an RGB image (H, W, 3)', '(H, W, 3)', formatShape(s));
      else facts.spatialShape = [s[0]!, s[1]!];
    } else if (dim === 3) {
      if (s.length !== 3) c.error('imgs', '3D imgs must be a volume (D, H, W)', '(D, H, W)', formatShape(s));
      else facts.spatialShape = [...s];
    }
    if (facts.spatialShape && facts.spatialShape.some((d) => d === 0)) {
      c.error('imgs', 'imgs has an empty axis', 'every axis >= 1', formatShape(s));
      facts.spatialShape = undefined;
    }
    if (facts.spatialShape) {
      // the reference crashes on an image (slice) of height or width 1 and on a side that resizes to 0
      const [h, w] = dim === 2 ? facts.spatialShape : facts.spatialShape.slice(1);
      const scale = 256 / Math.max(h!, w!);
      const newH = Math.trunc(h! * scale + 0.5);
      const newW = Math.trunc(w! * scale + 0.5);
      if (h! < 2) {
        c.error('imgs', `${dim === 2 ? 'image' : 'slice'} of size ${h}x${w}: height 1 crashes the reference pipeline`, 'height >= 2', formatShape(s));
      } else if (newH < 1 || newW < 1) {
        c.error('imgs', `${dim === 2 ? 'image' : 'slice'} of size ${h}x${w} resizes to ${newH}x${newW} (aspect ratio above 512:1 crashes the reference)`, 'aspect ratio <= 512:1', formatShape(s));
      }
    }
    if (imgs.dtype !== 'uint8') {
      // minMax of an array with NaN is NaN..NaN: say how many voxels are NaN instead
      let nan = 0;
      for (let i = 0; i < imgs.data.length; i++) {
        const v = imgs.data[i];
        if (typeof v === 'number' && Number.isNaN(v)) nan++;
      }
      const [lo, hi] = minMax(imgs);
      c.error('imgs', 'imgs must be uint8 intensities 0..255', 'uint8', nan ? `${imgs.dtype}, contains NaN (${nan} voxels)` : `${imgs.dtype}, range ${lo}..${hi}`);
    } else if (imgs.data.length > 0) {
      const [lo, hi] = minMax(imgs);
      if (lo === hi) c.warn('imgs', 'imgs is constant (no contrast)', 'a uint8 image using its range', `all values ${lo}`);
    }
  }
  if (boxesArr && boxesDim !== undefined && isIntegerDType(boxesArr.dtype) && dim === boxesDim) {
    let rows: number[][] | undefined;
    try {
      rows = toRows(boxesArr, 'boxes');
    } catch (e) {
      c.error('boxes', (e as Error).message, 'coordinates within ±2^53', 'huge int64');
    }
    if (rows) {
      facts.nBoxes = rows.length;
      facts.boxes = rows;
      if (facts.spatialShape) {
        const sh = facts.spatialShape;
        // axis sizes in box coordinate order x, y (, z)
        const sizes = dim === 2 ? [sh[1]!, sh[0]!] : [sh[2]!, sh[1]!, sh[0]!];
        const names = dim === 2 ? ['x', 'y'] : ['x', 'y', 'z'];
        const nd = names.length;
        const bad: string[] = [];
        for (let i = 0; i < rows.length; i++) {
          const r = rows[i]!;
          const why: string[] = [];
          for (let a = 0; a < nd; a++) {
            const lo = r[a]!;
            const hi = r[a + nd]!;
            if (lo < 0 || hi > sizes[a]! - 1) why.push(`${names[a]} ${lo}..${hi} outside 0..${sizes[a]! - 1}`);
            if (lo > hi) why.push(`${names[a]}_min ${lo} > ${names[a]}_max ${hi}`);
          }
          // the reference asserts z_min < z_max (a one-slice 3D box crashes it)
          if (dim === 3 && r[2] === r[5]) why.push(`z_min ${r[2]} == z_max ${r[5]} (the reference asserts z_min < z_max)`);
          if (why.length) bad.push(`box ${i} [${r.join(', ')}]: ${why.join('; ')}`);
        }
        if (bad.length) {
          const shown = bad.slice(0, MAX_REPORTED_BOXES).join(' | ') + (bad.length > MAX_REPORTED_BOXES ? ` | ... and ${bad.length - MAX_REPORTED_BOXES} more` : '');
          c.error(
            'boxes',
            `${bad.length} of ${rows.length} boxes are outside the image, have min > max, or (3D) z_min == z_max`,
            `0 <= ${names.map((n, a) => `${n}_min <= ${n}_max <= ${sizes[a]! - 1}`).join(', ')} (inclusive, x = last axis)`,
            shown,
          );
        } else {
          facts.boxOverlap = boxOverlap(rows, dim);
          if (facts.boxOverlap > 0) {
            const unit = dim === 2 ? 'pixels' : 'voxels';
            c.warn(
              'boxes',
              `boxes overlap: ${facts.boxOverlap} ${unit} lie inside more than one box; ${BOX_OVERLAP_RULE}`,
              'boxes that do not overlap (else the later box takes the overlap)',
              `${facts.boxOverlap} ${unit} inside more than one of the ${rows.length} boxes`,
            );
          }
        }
      }
    }
  }
  // a spacing already reported as unreadable (e.g. a pickled object array) is not reported again as missing
  const spacingReported = c.list.some((p) => p.key === 'spacing' && p.severity === 'error');
  if (dim === 3) facts.spacing = checkSpacing(c, arrays.spacing, !spacingReported);
  return facts;
}


/** Thrown by {@link checkCase} (and by the loaders built on it): the case breaks a rule; carries every problem. */
export class CaseRuleError extends Error {
  constructor(readonly problems: CaseProblem[]) {
    super(formatCaseErrors(problems));
    this.name = 'CaseRuleError';
  }
}

/**
 * The one wording of a case's errors (warnings left out), used by every entry point (the runners' errors, the
 * `bench run` pre-check): `<file>: key '<key>': <message> (expected <e>; found <f>)`, joined by `; `.
 */
export function formatCaseErrors(problems: readonly CaseProblem[]): string {
  return problems
    .filter((p) => p.severity === 'error')
    .map((p) => `${p.file}: key '${p.key}': ${p.message} (expected ${p.expected}; found ${p.found})`)
    .join('; ');
}

/** Only {@link checkCase} holds this value, so only it can make a {@link CheckedCase}. */
const CHECKED: unique symbol = Symbol('checked case');

/**
 * A case the rules passed: what the inference pipeline (src/runner/pipeline.ts) needs, already converted. The
 * pipeline takes nothing else, so no entry point can predict a case without these rules.
 */
export class CheckedCase {
  readonly #checked = true;
  constructor(
    token: typeof CHECKED,
    /** The imgs file, for messages. */
    readonly file: string,
    /** 2 or 3 (file-name prefix, else the boxes' width). */
    readonly dim: Dim,
    /** uint8, 2D (H,W,3) or 3D (D,H,W). */
    readonly imgs: NdArray & { dtype: 'uint8'; data: Uint8Array },
    /** N >= 1 rows of 4 (2D) or 6 (3D) integer pixel/voxel coordinates, inclusive, inside the image. */
    readonly boxes: number[][],
    /** (H,W) for 2D, (D,H,W) for 3D. */
    readonly spatialShape: number[],
    /** 3D: the stored spacing (mm, stored order); undefined for 2D. */
    readonly spacing: number[] | undefined,
    /** Warnings of the rules (never fatal). */
    readonly warnings: CaseProblem[],
  ) {
    if (token !== CHECKED || !this.#checked) throw new Error('a CheckedCase is made by checkCase() only');
  }
}

/**
 * Apply the case rules to arrays already read (imgs, boxes and, when stored, spacing), as every entry point must
 * before predicting: the same verdict as `bench cases validate` on the imgs file.
 * @param file the imgs file, for messages
 * @param cn the case name facts (dimension from the 2DBox_/3DBox_ prefix), undefined when the name has none
 * @returns the case ready for the pipeline, with the warnings
 * @throws CaseRuleError listing every error
 */
export function checkCase(file: string, cn: CaseName | undefined, arrays: Record<string, NdArray>): CheckedCase {
  const c = new Collector(file);
  for (const k of ['imgs', 'boxes']) if (!arrays[k]) c.error(k, `missing key '${k}'`, `key '${k}'`, 'absent');
  const f = checkImgsArrays(c, cn, arrays);
  if (!c.hasErrors && (!f.dim || !f.spatialShape || !f.boxes)) c.error('(file)', 'case could not be checked', 'a valid imgs file', 'incomplete');
  if (c.hasErrors) throw new CaseRuleError(c.list);
  const imgs = arrays.imgs as NdArray & { dtype: 'uint8'; data: Uint8Array };
  return new CheckedCase(CHECKED, file, f.dim!, imgs, f.boxes!, f.spatialShape!, f.spacing, c.list);
}

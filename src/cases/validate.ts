/**
 * Validation and loading of challenge case files (`imgs/<case>.npz`, `gts/<case>.npz`), following
 * ../shared/docs/PROTOCOL.md ("Case files") and the official scripts' expectations:
 *   imgs: `imgs` uint8 2D (H,W,3) / 3D (D,H,W); `boxes` integer (N,4) [x_min,y_min,x_max,y_max] or (N,6)
 *         [x_min,y_min,z_min,x_max,y_max,z_max], inclusive, x = last axis; 3D `spacing` float (3,) mm.
 *   gts:  `gts` uint8/uint16 with the spatial shape of imgs, label i = object of boxes[i-1]; 3D `spacing`
 *         (the official scorer reads the spacing from the GT file).
 * Every problem is reported with file, key, expected and found; validation never throws for a bad file.
 */
import { basename } from 'node:path';
import type { NdArray } from '../types.js';
import { formatShape } from '../io/ndarray.js';
import { NpyFormatError, readNpz, readNpzInfo, type NpzMemberInfo } from '../io/npz.js';
import { CASE_NAME_PATTERN, parseCaseName, tryParseCaseName, type CaseName } from './names.js';
import { CaseRuleError, checkCase, checkImgsArrays, checkSpacing, Collector, type CaseProblem, type CheckedCase, type ImgsFacts } from './rules.js';

export type { CaseProblem } from './rules.js';

/**
 * Thrown by {@link loadCaseImgs} / {@link loadCaseGts} when the file has errors; carries every problem found. The
 * one error class of the case rules (src/cases/rules.ts), so every entry point words a broken case the same way.
 */
export { CaseRuleError as CaseValidationError };

/** A loaded `imgs` file the case rules passed (src/cases/rules.ts {@link CheckedCase}). */
export type CaseImgs = CheckedCase;

/** A loaded, validated `gts` file. */
export interface CaseGts {
  file: string;
  /** uint8 or uint16 (other integer dtypes accepted with a warning), spatial shape of imgs. */
  gts: NdArray;
  spacing?: number[];
  warnings: CaseProblem[];
}

function fromReadError(c: Collector, e: unknown, key = '(file)'): void {
  if (e instanceof NpyFormatError) {
    const m = /key '([^']+)'/.exec(e.where);
    c.error(m ? m[1]! : key, e.problem, e.expected ?? 'a readable .npz', e.found ?? 'unreadable');
  } else {
    c.error(key, (e as Error).message ?? String(e), 'a readable .npz', 'read error');
  }
}

/** Reads member infos, reporting unreadable archives; returns undefined when the file cannot be opened. */
async function infoOf(c: Collector, file: string): Promise<Map<string, NpzMemberInfo> | undefined> {
  try {
    const infos = await readNpzInfo(file);
    return new Map(infos.map((i) => [i.key, i]));
  } catch (e) {
    fromReadError(c, e);
    return undefined;
  }
}

/** Checks required keys' headers; reports unusable extra keys as warnings. Returns the keys worth reading. */
function checkKeys(c: Collector, info: Map<string, NpzMemberInfo>, required: string[], optional: string[]): string[] {
  const toRead: string[] = [];
  const found = [...info.keys()].join(', ') || 'no keys';
  for (const k of required) {
    const m = info.get(k);
    if (!m) c.error(k, `missing key '${k}'`, `key '${k}'`, `keys: ${found}`);
    else if (m.error) c.error(k, m.error.problem, m.error.expected ?? 'a supported dtype', m.error.found ?? m.descr ?? '?');
    else toRead.push(k);
  }
  for (const k of optional) {
    const m = info.get(k);
    if (m && !m.error) toRead.push(k);
    else if (m?.error) c.error(k, m.error.problem, m.error.expected ?? 'a supported dtype', m.error.found ?? '?');
  }
  for (const [k, m] of info) {
    if (!required.includes(k) && !optional.includes(k) && m.error) {
      c.warn(k, `extra key '${k}' is not loaded: ${m.error.problem}`, 'only imgs, boxes, spacing are read', m.error.found ?? '?');
    }
  }
  return toRead;
}

async function readImgs(c: Collector, file: string, cn: CaseName | undefined): Promise<{ arrays: Record<string, NdArray>; facts: ImgsFacts } | undefined> {
  const info = await infoOf(c, file);
  if (!info) return undefined;
  const keys = checkKeys(c, info, ['imgs', 'boxes'], ['spacing']);
  let arrays: Record<string, NdArray>;
  try {
    arrays = await readNpz(file, keys);
  } catch (e) {
    fromReadError(c, e);
    return undefined;
  }
  return { arrays, facts: checkImgsArrays(c, cn, arrays) };
}

function checkGtsArrays(c: Collector, arrays: Record<string, NdArray>, imgs: ImgsFacts | undefined): void {
  const gts = arrays.gts;
  const dim = imgs?.dim;
  if (dim === 3) {
    // a spacing already reported as unreadable (e.g. a pickled object array) is not reported again as missing
    const sp = checkSpacing(c, arrays.spacing, !c.list.some((p) => p.key === 'spacing' && p.severity === 'error'));
    if (sp && imgs?.spacing && sp.some((v, i) => !Object.is(v, imgs.spacing![i]))) {
      c.error('spacing', 'gts spacing differs from imgs spacing (the official scorer uses the gts spacing)', `[${imgs.spacing.join(', ')}] as in imgs`, `[${sp.join(', ')}]`);
    }
  }
  if (!gts) return;
  if (gts.dtype === 'bool' || gts.dtype === 'float32' || gts.dtype === 'float64') {
    c.error('gts', 'gts must be an integer label map', 'uint8 or uint16', gts.dtype);
    return;
  }
  if (gts.dtype !== 'uint8' && gts.dtype !== 'uint16') {
    c.warn('gts', 'gts dtype is unusual for challenge files (accepted: integer labels)', 'uint8 or uint16', gts.dtype);
  }
  if (imgs?.spatialShape) {
    const a = gts.shape;
    const b = imgs.spatialShape;
    if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
      c.error('gts', 'gts shape differs from the imgs spatial shape', formatShape(b), formatShape(a));
      return;
    }
  }
  // Label histogram and per-label bounding boxes (array-axis order).
  const d = gts.data;
  const n = d.length;
  const shape = gts.shape;
  const rank = shape.length;
  const labelMin = new Map<number, number[]>();
  const labelMax = new Map<number, number[]>();
  const idx = new Array<number>(rank).fill(0);
  let negative = 0;
  for (let i = 0; i < n; i++) {
    const v = Number(d[i]!);
    if (v !== 0) {
      if (v < 0) negative++;
      else {
        let lo = labelMin.get(v);
        let hi = labelMax.get(v);
        if (!lo) {
          lo = [...idx];
          hi = [...idx];
          labelMin.set(v, lo);
          labelMax.set(v, hi);
        } else {
          for (let k = 0; k < rank; k++) {
            if (idx[k]! < lo[k]!) lo[k] = idx[k]!;
            if (idx[k]! > hi![k]!) hi![k] = idx[k]!;
          }
        }
      }
    }
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) break;
      idx[k] = 0;
    }
  }
  if (negative) c.error('gts', 'gts has negative labels', 'labels >= 0', `${negative} negative voxels`);
  const labels = [...labelMin.keys()].sort((a, b) => a - b);
  const maxLabel = labels.length ? labels[labels.length - 1]! : 0;
  if (labels.length === 0) c.warn('gts', 'gts has no labelled voxel (the official scorer gives NaN)', 'labels 1..N', 'all zeros');
  if (gts.dtype === 'uint8' && maxLabel === 255) {
    c.warn('gts', 'uint8 gts with label 255: under numpy >= 2 the official scorer evaluates no label (gt.max()+1 wraps to 0)', 'labels <= 254 in uint8, or uint16', 'label 255 in uint8');
  }
  const nBoxes = imgs?.nBoxes;
  if (nBoxes !== undefined) {
    const noBox = labels.filter((l) => l > nBoxes);
    if (noBox.length) {
      c.error('gts', `gts labels without a box: label i needs boxes[i-1]`, `labels 1..${nBoxes} (${nBoxes} boxes)`, `labels ${noBox.slice(0, 10).join(', ')}${noBox.length > 10 ? ', ...' : ''}`);
    }
    const missing: number[] = [];
    for (let l = 1; l <= nBoxes; l++) if (!labelMin.has(l)) missing.push(l);
    if (missing.length) {
      c.warn('gts', `boxes whose label is absent from gts (official scorer: DSC 0 or NaN for labels <= gt.max())`, `labels 1..${nBoxes} present`, `absent ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''}`);
    }
    // Each box should enclose its label (x = last axis).
    if (imgs?.boxes && imgs.dim && rank === imgs.dim) {
      const outside: string[] = [];
      for (const l of labels) {
        const b = imgs.boxes[l - 1];
        if (!b) continue;
        const lo = labelMin.get(l)!;
        const hi = labelMax.get(l)!;
        const nd = rank;
        // box coordinate a (x,y,z) <-> array axis rank-1-a
        let ok = true;
        for (let a = 0; a < nd; a++) {
          const ax = rank - 1 - a;
          if (b[a]! > lo[ax]! || b[a + nd]! < hi[ax]!) ok = false;
        }
        if (!ok) outside.push(`label ${l}`);
      }
      if (outside.length) {
        c.warn('gts', 'gts objects extending outside their box', 'label i inside boxes[i-1]', `${outside.slice(0, 10).join(', ')}${outside.length > 10 ? ', ...' : ''}`);
      }
    }
  }
}

/**
 * Validates one case: its `imgs` file and, when given, its `gts` file, against each other.
 * Checks: file name pattern; readable archive; key presence; dtypes (imgs uint8, boxes integer, gts uint8/uint16);
 * dimension from the name vs boxes width (4/6) vs imgs rank ((H,W,3) / (D,H,W)); boxes inside the image with
 * min <= max (inclusive); 3D spacing present, (3,), finite, positive, and equal in imgs and gts; gts shape equal to
 * the imgs spatial shape; gts labels 1..N for N boxes (labels without a box are errors, boxes without label,
 * objects outside their box and the uint8-255 quirk are warnings).
 * @returns every problem found (empty when the case is valid). Never throws for bad input.
 */
export async function validateCase(imgsPath: string, gtsPath?: string): Promise<CaseProblem[]> {
  const ci = new Collector(imgsPath);
  let cn: CaseName | undefined;
  try {
    cn = parseCaseName(imgsPath);
  } catch {
    ci.error('(name)', 'case file name does not follow the challenge pattern (the dimension comes from the prefix)', CASE_NAME_PATTERN, basename(imgsPath));
  }
  let facts: ImgsFacts | undefined;
  try {
    facts = (await readImgs(ci, imgsPath, cn))?.facts;
  } catch (e) {
    fromReadError(ci, e);
  }
  const problems = [...ci.list];
  if (gtsPath) {
    const cg = new Collector(gtsPath);
    try {
      const info = await infoOf(cg, gtsPath);
      if (info) {
        const dim = facts?.dim ?? cn?.dim;
        const keys = checkKeys(cg, info, ['gts'], ['spacing']);
        let arrays: Record<string, NdArray> | undefined;
        try {
          arrays = await readNpz(gtsPath, keys);
        } catch (e) {
          fromReadError(cg, e);
        }
        if (arrays) checkGtsArrays(cg, arrays, facts ?? (dim ? { dim } : undefined));
      }
    } catch (e) {
      fromReadError(cg, e);
    }
    problems.push(...cg.list);
  }
  return problems;
}

/**
 * Loads a challenge `imgs` file for inference and applies the case rules (src/cases/rules.ts): the one loader of
 * `bench predict`, the onnx runner, the command/docker runners and calibration. The archive is opened once
 * (`imgs`, `boxes`, and `spacing` when stored); only when that read fails is the file examined header by header, so
 * the error lists every problem exactly as `bench cases validate` does.
 * @returns the checked case: `imgs` (uint8 (H,W,3) or (D,H,W)), `boxes` as number rows (inclusive, x = last axis),
 *   `spacing` (3D), the spatial shape, and any warnings.
 * @throws CaseValidationError listing every error (file, key, expected, found) when the file is not a valid case.
 */
export async function loadCaseImgs(path: string): Promise<CaseImgs> {
  const cn = tryParseCaseName(path);
  let arrays: Record<string, NdArray>;
  try {
    arrays = await readNpz(path, ['imgs', 'boxes'], { optional: ['spacing'] });
  } catch (e) {
    const c = new Collector(path);
    try {
      await readImgs(c, path, cn);
    } catch (e2) {
      fromReadError(c, e2);
    }
    if (!c.hasErrors) fromReadError(c, e);
    throw new CaseRuleError(c.list);
  }
  return checkCase(path, cn, arrays);
}

/**
 * Loads and validates a challenge `gts` file (key `gts`, and `spacing` for 3D). When `imgs` is given the gts are
 * also checked against it (shape, labels vs boxes, spacing).
 * @throws CaseValidationError listing every error.
 */
export async function loadCaseGts(path: string, imgs?: CaseImgs): Promise<CaseGts> {
  const c = new Collector(path);
  const info = await infoOf(c, path);
  let arrays: Record<string, NdArray> | undefined;
  if (info) {
    const keys = checkKeys(c, info, ['gts'], ['spacing']);
    try {
      arrays = await readNpz(path, keys);
    } catch (e) {
      fromReadError(c, e);
    }
  }
  const dim = imgs?.dim ?? tryParseCaseName(path)?.dim;
  if (arrays) {
    checkGtsArrays(
      c,
      arrays,
      imgs ? { dim: imgs.dim, spatialShape: imgs.spatialShape, nBoxes: imgs.boxes.length, boxes: imgs.boxes, spacing: imgs.spacing } : dim ? { dim } : undefined,
    );
  }
  if (!arrays?.gts || c.hasErrors) {
    if (!c.hasErrors) c.error('gts', 'gts could not be loaded', "key 'gts'", 'absent');
    throw new CaseRuleError(c.list);
  }
  const out: CaseGts = { file: path, gts: arrays.gts, warnings: c.list };
  const sp = arrays.spacing;
  if (sp && dim === 3) out.spacing = Array.from(sp.data as ArrayLike<number | bigint>, Number);
  return out;
}


/** Case file names of the challenge: `2DBox_<Modality>_<id>.npz` / `3DBox_<Modality>_<id>.npz`. */
import { basename } from 'node:path';
import type { Dim } from '../types.js';

/** What a case file name says about the case. */
export interface CaseName {
  /** Case name without folder and `.npz`, e.g. `2DBox_X-Ray_0001`. */
  name: string;
  /** 2 or 3, from the `2DBox_` / `3DBox_` prefix (the rule of the official scripts). */
  dim: Dim;
  /** Modality token, e.g. `CT`, `MR`, `X-Ray`, `Microscope` (may contain '-'). */
  modality: string;
  /** Case id after the last underscore, e.g. `0001`. */
  id: string;
}

/** The accepted pattern, as shown in error messages. */
export const CASE_NAME_PATTERN = '2DBox_<Modality>_<id>.npz or 3DBox_<Modality>_<id>.npz';

const RE = /^([23])DBox_(.+)_([^_]+?)(\.npz)?$/;

/**
 * The challenge's 2D/3D rule, one definition for every entry point (validate, run, predict, the command/docker output
 * check, overlays): the file-name prefix `2D` / `3D` decides, as in the official inference scripts
 * (`basename(f).startswith('3D')`); a name with neither prefix (a renamed file) is decided by the boxes' width when
 * it is known (4 -> 2D, 6 -> 3D), else undefined. The official scorer's own rule, "`startswith('3D')`, anything else
 * 2D" (src/metrics/score.ts `dimFromCaseName`), is the one documented exception: `bench metrics` must reproduce
 * compute_metrics.py even on misnamed files.
 * @param name case name or file path (only the base name counts)
 * @param boxesWidth `boxes.shape[1]` when known
 */
export function caseDim(name: string, boxesWidth?: number): Dim | undefined {
  const base = basename(name);
  if (base.startsWith('3D')) return 3;
  if (base.startsWith('2D')) return 2;
  return boxesWidth === 4 ? 2 : boxesWidth === 6 ? 3 : undefined;
}

/**
 * Parses a case file name (with or without folder and `.npz`). The dimension comes from the `2DBox_`/`3DBox_`
 * prefix, as in the challenge's official inference and scoring scripts; the modality is everything between the
 * prefix and the last underscore (so `X-Ray` and multi-part tokens survive), the id what follows it.
 * @throws Error naming the file when the name does not follow {@link CASE_NAME_PATTERN}.
 */
export function parseCaseName(fileName: string): CaseName {
  const base = basename(fileName);
  const m = RE.exec(base);
  if (!m || m[2]!.length === 0 || m[3]!.length === 0) {
    throw new Error(`${fileName}: case file name does not follow ${CASE_NAME_PATTERN}`);
  }
  return {
    name: base.replace(/\.npz$/, ''),
    dim: caseDim(base)!,
    modality: m[2]!,
    id: m[3]!,
  };
}

/** Like {@link parseCaseName} but returns `undefined` instead of throwing. */
export function tryParseCaseName(fileName: string): CaseName | undefined {
  try {
    return parseCaseName(fileName);
  } catch {
    return undefined;
  }
}

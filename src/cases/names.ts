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
    dim: m[1] === '2' ? 2 : 3,
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

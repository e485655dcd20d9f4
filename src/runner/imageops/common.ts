/**
 * Constants, types and helpers shared by the image operations of the reference pipeline (src/runner/imageops/).
 * Conventions: images are interleaved (row-major, channels last) `Uint8Array`s of `height*width*channels`;
 * coordinates x = column, y = row; boxes are inclusive pixel coordinates `[x_min, y_min, x_max, y_max]`.
 */

/** Side length of the model's square input frame (LiteMedSAM: 256). */
export const FRAME = 256;

/**
 * `torch.sigmoid(v) > 0.5` in float32 is true iff `v > T` with T = 1.5 * 2^-24 (float32 bits 0x33c00000); NaN gives
 * false. Source: golden/pipeline README "Mask rule" (checked over all 2^32 float32 bit patterns). NOT `v > 0`.
 */
export const SIGMOID_HALF_THRESHOLD = 1.5 * 2 ** -24;

/** A uint8 image, channels last. */
export interface Image8 {
  data: Uint8Array;
  height: number;
  width: number;
  channels: number;
}

/** Small memo of per-axis tables keyed by (kind, in size, out size): a case reuses the same few geometries. */
const tableMemo = new Map<string, unknown>();
/** The memoised value of `key`, made by `make` on a miss (the memo holds at most ~64 entries). */
export function memo<T>(key: string, make: () => T): T {
  let v = tableMemo.get(key) as T | undefined;
  if (v === undefined) {
    if (tableMemo.size > 64) tableMemo.clear();
    v = make();
    tableMemo.set(key, v);
  }
  return v;
}

/**
 * Colour on a terminal (picocolors), off when the stream is not a TTY, when `NO_COLOR` is set (https://no-color.org)
 * or TERM is `dumb`; `FORCE_COLOR` (non-zero) turns it on. Text written to files is never coloured.
 */
import pc from 'picocolors';

/** The colour functions to use for one output stream (identity functions when colour is off). */
export function colours(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): ReturnType<typeof pc.createColors> {
  return pc.createColors(colourEnabled(stream, env));
}

/** Whether colour is on for this stream and environment (rules in the module docstring). */
export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if ('NO_COLOR' in env && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return !!stream.isTTY && env.TERM !== 'dumb';
}

/**
 * Width to lay terminal text out for: the stream's columns on a TTY, else `COLUMNS` from the environment, else 120
 * (a file or pipe: wide enough for a 4-variant table unsplit).
 */
export function outputWidth(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv = process.env): number {
  if (stream.isTTY && stream.columns) return stream.columns;
  const c = Number(env.COLUMNS);
  return Number.isInteger(c) && c >= 40 ? c : 120;
}

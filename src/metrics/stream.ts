/**
 * A large 3D case read as row runs: its gts and segs members are streamed through one reused buffer
 * (../io/npz-rows.ts) into the row runs the counting pass would build from the arrays (./runs.ts), so the volumes are
 * never held whole. The results are those of the arrays (the same runs; test/metrics/stream.test.ts).
 *
 * Measured on a 200x512x512 case (this 2-core VM): the two 52 MB members inflated into fresh memory took ~57 ms on
 * two pool threads plus ~20 ms of runs on this thread, and 26k page faults; streamed, ~42 ms on this thread and ~2.4k
 * faults (`bench metrics` on that case as a whole process: 43k -> 18k minor faults, peak RSS 190 -> 90 MB).
 */
import { existsSync } from 'node:fs';
import type { NpyHeader } from '../io/npy.js';
import { streamNpzRows, type RowBlock, type RowSink } from '../io/npz-rows.js';
import { SMALL_DTYPE_MAX, type RunVolume } from './labels.js';
import { RowRunsStream } from './runs.js';
import type { CaseFiles } from './score.js';

/** A sink that keeps the row runs of a 3D label member of at most 16 bits (declines anything else). */
class RunsSink implements RowSink {
  private header: NpyHeader | null = null;
  private stream: RowRunsStream | null = null;

  begin(header: NpyHeader): boolean {
    if (SMALL_DTYPE_MAX[header.dtype] === undefined || header.shape.length !== 3) return false;
    const [n0, n1, n2] = header.shape as [number, number, number];
    this.header = header;
    this.stream = new RowRunsStream(n0 * n1, n2);
    return true;
  }

  rows(block: RowBlock, nRows: number): boolean {
    return this.stream!.add(block, nRows);
  }

  /** The member as runs once streamed whole; null when it was declined or had more runs than kept. */
  volume(): RunVolume | null {
    const runs = this.stream?.result() ?? null;
    return runs && this.header ? { dtype: this.header.dtype, shape: [...this.header.shape], runs } : null;
  }
}

/**
 * Streams a 3D case's `gts` (with `spacing`) and `segs` members into row runs, one after the other on this thread.
 * @param gtsPath `gts/<case>.npz`; @param segsPath `segs/<case>.npz`
 * @returns the case's files with `gts` and `segs` as {@link RunVolume}s; null when either member cannot be streamed
 *   (see streamNpzRows: not deflated, big-endian, Fortran order, wider than 16 bits, a missing file or key, a corrupt
 *   member, ...; and here: not 3D, more than MAX_RUNS runs): the caller then reads the case with readCaseFiles, which
 *   reports any problem as usual. Never throws: an unexpected error (a defect, not the files) is said on stderr and
 *   gives null too.
 */
export async function streamCaseFiles(gtsPath: string, segsPath: string): Promise<CaseFiles | null> {
  try {
    return await streamBoth(gtsPath, segsPath);
  } catch (e) {
    // not a property of the files (those decline): a defect of this path. Said on stderr; the arrays are read instead.
    process.stderr.write(`bench: internal error streaming ${gtsPath} (${e instanceof Error ? e.message : String(e)}); read as arrays instead\n`);
    return null;
  }
}

async function streamBoth(gtsPath: string, segsPath: string): Promise<CaseFiles | null> {
  const t0 = performance.now();
  if (!existsSync(segsPath)) return null;
  const g = new RunsSink();
  const gOthers = await streamNpzRows(gtsPath, 'gts', g, ['spacing']);
  const gts = gOthers && g.volume();
  if (!gOthers || !gts) return null;
  const s = new RunsSink();
  const sOthers = await streamNpzRows(segsPath, 'segs', s);
  const segs = sOthers && s.volume();
  if (!segs) return null;
  return {
    gtsPath,
    segsPath,
    gRes: { status: 'fulfilled', value: { ...gOthers, gts } },
    sRes: { status: 'fulfilled', value: { segs } },
    readS: (performance.now() - t0) / 1000,
    streamed: true,
  };
}

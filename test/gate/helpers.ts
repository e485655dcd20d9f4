/**
 * Results folders for the gate tests, written with the product's RunStore.
 *
 * Values come from real measurements where the repository has them:
 * - cases, modalities, shapes, box counts and per-case wall times: the 31 public cases of
 *   ../shared/golden/pipeline/index.json (three real timed runs of the reference pipeline per case, with the real
 *   run-to-run noise of this 2-core machine); the `oracle` variant of run j uses `seconds_runs[j]`;
 * - DSC/NSD pairs: official scorer values of ../shared/golden/metrics/golden.json (including official NaN DSC);
 * - the `aug-int8` variant's time adds the measured INT8 encoder/decoder latencies of ../shared/models/README.md
 *   (0.66 s per encoder call, 0.047 s per box) to the oracle time.
 * Regressions, slowdowns, noise, missing and failed cases are applied on top by the tests.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunStore, type CaseRow, type RunMeta } from '../../src/results/store.js';

export { SHARED } from '../shared.js';
import { SHARED } from '../shared.js';

interface E2eCase {
  case: string;
  imgs_shape: number[];
  n_boxes: number;
  encoder_calls: number;
  decoder_calls: number;
  unique_slices_encoded: number | null;
  seconds_runs: number[];
}

export interface PublicCase {
  name: string;
  modality: string;
  dim: 2 | 3;
  shape: string;
  nObjects: number;
  encoderCalls: number;
  decoderCalls: number;
  secondsRuns: number[];
}

/** The 31 public cases with their real reference-pipeline timings. */
export function publicCases(): PublicCase[] {
  const index = JSON.parse(readFileSync(path.join(SHARED, 'golden', 'pipeline', 'index.json'), 'utf8')) as {
    sets: { e2e: { cases: E2eCase[] } };
  };
  return index.sets.e2e.cases.map((c) => {
    const name = c.case.replace(/\.npz$/, '');
    const m = /^([23])DBox_(.+)_[^_]+$/.exec(name);
    if (!m) throw new Error(`unexpected case name ${name}`);
    return {
      name,
      modality: m[2]!,
      dim: m[1] === '3' ? 3 : 2,
      shape: `(${c.imgs_shape.join(', ')})`,
      nObjects: c.n_boxes,
      encoderCalls: c.unique_slices_encoded ?? c.encoder_calls,
      decoderCalls: c.decoder_calls,
      secondsRuns: c.seconds_runs,
    };
  });
}

/** Official (DSC, NSD) pairs of the golden metric cases, in file order; DSC NaN where the official scorer gives NaN. */
export function officialPairs(): { dsc: number; nsd: number }[] {
  const g = JSON.parse(readFileSync(path.join(SHARED, 'golden', 'metrics', 'golden.json'), 'utf8')) as {
    cases: { official: { dsc: number | string; nsd: number | string } }[];
  };
  const num = (x: number | string) => (typeof x === 'number' ? x : x === 'NaN' ? NaN : Number(x));
  return g.cases.map((c) => ({ dsc: num(c.official.dsc), nsd: num(c.official.nsd) }));
}

export { prng } from '../prng.js';

export const VARIANTS = ['oracle', 'aug-int8'] as const;

/**
 * Case rows of one run: variants `oracle` and `aug-int8` on the public cases (optionally filtered).
 * @param runIndex which of the three real timed runs gives the times (0, 1 or 2).
 */
export function baseRows(runIndex = 0, filter: (c: PublicCase) => boolean = () => true): CaseRow[] {
  const pairs = officialPairs();
  const rows: CaseRow[] = [];
  const cases = publicCases().filter(filter);
  VARIANTS.forEach((variant, vi) => {
    cases.forEach((c, ci) => {
      const p = pairs[(ci * 2 + vi * 7) % pairs.length]!;
      const t = c.secondsRuns[runIndex]! + (variant === 'aug-int8' ? 0.66 * c.encoderCalls + 0.047 * c.decoderCalls : 0);
      rows.push({
        variant, case: c.name, modality: c.modality, dim: c.dim, shape: c.shape, n_objects: c.nObjects, status: 'ok',
        dsc: p.dsc, nsd: p.nsd, time_s: t, time_s_min: t, time_s_max: t, time_s_cold: NaN, repeats: 1,
        encoder_calls: c.encoderCalls, decoder_calls: c.decoderCalls, peak_rss_mb: 210,
        cpu_s: NaN, other_cpu_share: NaN, load_start: NaN, load_end: NaN, error: '',
      });
    });
  });
  return rows;
}

/** run.json of a test run. */
export function runMeta(runId: string, over: Partial<RunMeta> = {}): RunMeta {
  return {
    run_id: runId,
    started_at: '2026-11-29T21:00:00.000Z',
    finished_at: '2026-11-29T21:05:00.000Z',
    command: ['bench', 'run', '--variants', 'oracle,aug-int8'],
    harness: { name: 'medseg-bench', version: '0.1.0', git_commit: 'e5a791d0000000000000000000000000000000aa' },
    machine: { cpu_model: 'AMD EPYC', cores: 2, memory_gb: 23.4, platform: 'linux', arch: 'x64' },
    versions: { node: process.version, onnxruntime: '1.30.0' },
    threads: { intra_op: 2 },
    metrics: { mode: 'official', tolerance_mm: 2, spacing_order: 'as-stored' },
    timing: { repeat: 1, warmup: 0, includes: {} },
    cases_dir: 'cases/public',
    variants: VARIANTS.map((name) => ({ name, kind: 'onnx', definition: {} })),
    ...over,
  };
}

/** A fresh temp folder. */
export function tempDir(prefix = 'gate-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Write a results folder with RunStore; returns its path. */
export function writeRun(dir: string, rows: CaseRow[], meta: RunMeta): string {
  const store = new RunStore(dir);
  store.init();
  store.writeMeta(meta);
  for (const r of rows) store.appendCase(r, []);
  return store.dir;
}

/** Deep copy of rows with a change applied to the rows that match. */
export function mapRows(rows: CaseRow[], match: (r: CaseRow) => boolean, change: (r: CaseRow) => Partial<CaseRow>): CaseRow[] {
  return rows.map((r) => (match(r) ? { ...r, ...change(r) } : { ...r }));
}

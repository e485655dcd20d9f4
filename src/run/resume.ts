/**
 * `bench run --resume`: the options that define a run are stored in its run.json; a resume reuses them unless they are
 * given again, and a value given again that differs is refused with the difference named. (A resume without the
 * original `--filter` must not silently widen a 7-case run to 9 cases.)
 */
import path from 'node:path';
import type { RunMeta } from '../results/store.js';
import type { RunSettings } from './orchestrate.js';

/**
 * The options of `bench run` that define what a run measures (and so must not change on --resume): the
 * {@link RunSettings} (one definition; `resume` aside) as stored, every one resolved, plus what the run ran on.
 */
export interface RunIdentity extends Omit<RunSettings, 'resume' | 'filter' | 'threads' | 'order' | 'memoryArena'> {
  /** {@link RunSettings.memoryArena}, false when not stored (runs before the option existed had it off) */
  memoryArena: NonNullable<RunSettings['memoryArena']>;
  /** absolute case set folder */
  casesDir: string;
  /** variant names in run order */
  variants: string[];
  /** variants file the names resolve in (absolute), or null when unknown (runs written before it was stored) */
  variantsFile: string | null;
  /** {@link RunSettings.filter}, null when none */
  filter: NonNullable<RunSettings['filter']> | null;
  /** {@link RunSettings.threads} as resolved at the start */
  threads: NonNullable<RunSettings['threads']>;
  order: NonNullable<RunSettings['order']>;
}

/** The CLI option that sets each field, for messages. */
const FLAG: Record<keyof RunIdentity, string> = {
  casesDir: '--cases', variants: '--variants', variantsFile: '--variants-file', filter: '--filter', repeat: '--repeat',
  warmup: '--warmup', mode: '--mode', spacingOrder: '--spacing-order', threads: '--threads',
  embeddingCache: '--embedding-cache', memoryArena: '--memory-arena', order: '--order',
};

/** Options stored in run.json under `options` by `bench run` (see docs/results-format.md). */
interface StoredRunOptions {
  embedding_cache?: boolean;
  memory_arena?: boolean;
  filter?: string | null;
  order?: RunSettings['order'];
  variants?: string[];
  variants_file?: string;
}

/**
 * The identity of a stored run, read from its run.json. Runs written before `options.variants` was stored fall back to
 * the names of `meta.variants` (every variant the run prepared).
 */
export function storedIdentity(meta: RunMeta): RunIdentity {
  const o = (meta.options ?? {}) as StoredRunOptions;
  return {
    casesDir: path.resolve(meta.cases_dir),
    variants: o.variants ?? meta.variants.map((v) => v.name),
    variantsFile: o.variants_file ?? null,
    filter: o.filter ?? null,
    repeat: meta.timing.repeat,
    warmup: meta.timing.warmup,
    mode: meta.metrics.mode,
    spacingOrder: meta.metrics.spacing_order,
    threads: meta.threads.intra_op,
    embeddingCache: o.embedding_cache ?? true,
    memoryArena: o.memory_arena ?? false,
    order: o.order ?? 'interleaved',
  };
}

function show(key: keyof RunIdentity, v: unknown): string {
  if (v === null || v === undefined) return '(none)';
  if (key === 'embeddingCache' || key === 'memoryArena') return v ? 'on' : 'off';
  if (Array.isArray(v)) return v.join(',');
  return typeof v === 'string' ? `"${v}"` : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Merge the options given on a `--resume` command line with the stored ones: a field not given takes the stored value;
 * a field given with another value is an error.
 * @param stored the run's identity ({@link storedIdentity})
 * @param given only the options the user typed (undefined = not given)
 * @throws Error naming run.json and every differing option as `--repeat 1, not 2`.
 */
export function mergeResumeOptions(stored: RunIdentity, given: Partial<RunIdentity>, runJson: string): RunIdentity {
  const merged = { ...stored };
  const diffs: string[] = [];
  for (const key of Object.keys(FLAG) as (keyof RunIdentity)[]) {
    const g = given[key];
    if (g === undefined) continue;
    const s = stored[key];
    // a variants file or cases folder is compared as an absolute path
    const gv = key === 'casesDir' || key === 'variantsFile' ? path.resolve(g as string) : g;
    if (key === 'variantsFile' && s === null) {
      (merged as Record<string, unknown>)[key] = gv;
      continue;
    }
    if (!same(gv, s)) diffs.push(`${FLAG[key]} ${show(key, s)}, not ${show(key, gv)}`);
  }
  if (diffs.length) {
    throw new Error(
      `--resume: ${runJson} was started with ${diffs.join('; ')}: resume without these options (the stored ones are reused), or start a new run with another --out`,
    );
  }
  return merged;
}

/**
 * `bench profile` as a function (used by the CLI and by `bench run --profile`): profile the onnx variants on the
 * cases, write `profile.md`, `profile.json` and `profile.png` into `outDir`, return the Markdown.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CaseEntry } from '../run/orchestrate.js';
import type { OnnxVariant, Variant } from '../runner/variants.js';
import { profileVariants, type VariantProfile } from './profile.js';
import { profileChart, profileMarkdown } from './tables.js';

export { profileVariants, summariseProfile, type VariantProfile } from './profile.js';

export interface ProfileRunOptions {
  variants: Variant[];
  cases: CaseEntry[];
  outDir: string;
  threads?: number;
  onCase?: (variant: string, caseName: string) => void;
}

/** The file names written into `outDir`. */
export const PROFILE_FILES = { markdown: 'profile.md', json: 'profile.json', chart: 'profile.png' } as const;

/**
 * Profile, then write the Markdown tables, the JSON summary and the PNG chart.
 * Variants of other kinds than `onnx` are skipped (listed in the context line): their time is outside this process.
 * @throws Error when no onnx variant is given or a variant cannot load.
 */
export async function writeProfile(o: ProfileRunOptions): Promise<{ markdown: string; profiles: VariantProfile[]; files: string[] }> {
  const onnx = o.variants.filter((v): v is OnnxVariant => v.kind === 'onnx');
  const skipped = o.variants.filter((v) => v.kind !== 'onnx').map((v) => v.name);
  if (!onnx.length) throw new Error('bench profile: no in-process (onnx) variant to profile');
  if (!o.cases.length) throw new Error('bench profile: no cases to run');
  const profiles = await profileVariants({ variants: onnx, cases: o.cases, outDir: o.outDir, threads: o.threads, onCase: o.onCase });
  const load = os.loadavg().map((x) => x.toFixed(2)).join(', ');
  const threads = [...new Set(profiles.map((p) => p.threads))].join('/');
  const context =
    `${o.cases.length} cases (${o.cases.map((c) => c.name).join(', ')}), variants interleaved per case, ${threads} intra-op thread(s), ` +
    `load average ${load} at the end (${os.cpus()[0]?.model ?? 'cpu'}, ${os.availableParallelism()} cores); profiler overhead included` +
    (skipped.length ? `; not profiled (not in-process): ${skipped.join(', ')}` : '');
  const markdown = profileMarkdown(profiles, context);
  const png = await profileChart(profiles, `${o.cases.length} cases, ${threads} thread(s), load ${load}`);
  const files = [PROFILE_FILES.markdown, PROFILE_FILES.json, PROFILE_FILES.chart].map((f) => path.join(o.outDir, f));
  await fsp.writeFile(files[0]!, markdown);
  await fsp.writeFile(files[1]!, JSON.stringify({ context, load_average: os.loadavg(), profiles }, null, 2) + '\n');
  await fsp.writeFile(files[2]!, png);
  return { markdown, profiles, files };
}

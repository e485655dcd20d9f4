/**
 * Variant definitions (`baselines/variants.json`), validated with zod.
 * A variant is one model configuration to benchmark: an in-process ONNX pair, a subprocess command, or a Docker image
 * run under the challenge container protocol (../docs/PROTOCOL.md).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { closest, distance } from 'fastest-levenshtein';
import { MAX_THREADS } from './threads.js';
import { fileErrorText } from '../io/durable.js';

/**
 * A variant name: letters, digits, `.`, `_`, `-`, and not `.` or `..` (it names a folder: models/<name>,
 * segs/<variant>/). One rule for the variants file schema and `bench quantize --name`.
 */
export const VariantNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ - only')
  .refine((s) => s !== '.' && s !== '..', 'not "." or ".." (the name is a folder name)');

const common = {
  name: VariantNameSchema,
  /** Column title in paper tables, e.g. "Proposed". */
  label: z.string().optional(),
  description: z.string().optional(),
  /**
   * A deterministic test network, not a model (e.g. the oracle): every report that shows it says so ("not an upper
   * bound"); kept out of the default demo run with `inDefaultRun: false`.
   */
  testNetwork: z.boolean().optional(),
};

/** How the decoder receives the box prompt. */
export const BoxEncodingSchema = z.discriminatedUnion('type', [
  /** LiteMedSAM export: `boxes` float32 [1,1,4] = x_min, y_min, x_max, y_max in the 256x256 frame. */
  z.strictObject({ type: z.literal('boxes'), input: z.string().default('boxes') }),
  /** SAM official ONNX export: box corners as points with labels 2 and 3. */
  z.strictObject({
    type: z.literal('points'),
    coordsInput: z.string().default('point_coords'),
    labelsInput: z.string().default('point_labels'),
  }),
]);

export const OnnxVariantSchema = z.strictObject({
  ...common,
  kind: z.literal('onnx'),
  /** Paths relative to the variants file's folder's parent (the repository root) or absolute. */
  encoder: z.string(),
  decoder: z.string(),
  /** Expected sha256 (lowercase hex) of each model file, keys `encoder` / `decoder`; verified at load. */
  sha256: z
    .strictObject({
      encoder: z.string().regex(/^[0-9a-f]{64}$/).optional(),
      decoder: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    })
    .optional(),
  tensors: z
    .strictObject({
      image: z.string().default('image'),
      embeddings: z.string().default('image_embeddings'),
      decoderEmbeddings: z.string().default('image_embeddings'),
      masks: z.string().default('low_res_masks'),
      iou: z.string().default('iou_predictions'),
    })
    .prefault({}),
  boxEncoding: BoxEncodingSchema.prefault({ type: 'boxes' }),
  /** onnxruntime intra-op threads; default os.availableParallelism(). */
  threads: z.number().int().positive().max(MAX_THREADS, `at most ${MAX_THREADS} (4 x the logical CPUs)`).optional(),
  /** Reuse each 3D slice's embedding across boxes (identical masks). */
  embeddingCache: z.boolean().default(true),
  /**
   * onnxruntime session config entries (onnxruntime_session_options_config_keys.h), e.g.
   * `{"session.intra_op.allow_spinning": "0"}` (idle worker threads sleep instead of spinning: less CPU, better on a
   * shared/oversubscribed machine). Default: none (onnxruntime's defaults).
   */
  sessionConfig: z.record(z.string(), z.string()).optional(),
  /** false: not in the default `bench run` (no --variants) selection; still available by name. Default true. */
  inDefaultRun: z.boolean().optional(),
  /**
   * How `bench quantize` made this variant (src/quantize): source variant, method, activation/weight types,
   * per-channel, op types, excluded nodes, calibration cases, the command line, and file sizes.
   */
  quantization: z.record(z.string(), z.unknown()).optional(),
});

export const CommandVariantSchema = z.strictObject({
  ...common,
  kind: z.literal('command'),
  /** argv; `{inputs}` and `{outputs}` are substituted; also passed as env INPUTS_DIR / OUTPUTS_DIR. */
  command: z.array(z.string()).min(1),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  timeoutS: z.number().positive().default(600),
});

export const DockerVariantSchema = z.strictObject({
  ...common,
  kind: z.literal('docker'),
  /** Image tag already present in the local engine (never pulled) ... */
  image: z.string().optional(),
  /** ... or a `team.tar.gz` loaded once before timing. */
  imageArchive: z.string().optional(),
  command: z.array(z.string()).default(['/bin/sh', '-c', 'sh predict.sh']),
  memory: z.string().default('8G'),
  timeoutS: z.number().positive().default(600),
  readOnlyInputs: z.boolean().default(true),
  workdir: z.string().optional(),
});

export const VariantSchema = z.discriminatedUnion('kind', [OnnxVariantSchema, CommandVariantSchema, DockerVariantSchema]);
export const VariantsFileSchema = z.strictObject({
  /** Folder, relative to the file's own folder, that relative model/archive/cwd paths start from (default "."). */
  root: z.string().min(1).optional(),
  variants: z.array(VariantSchema).min(1),
});

/**
 * The folder relative paths of a variants file start from: the file's own folder joined with its `root` key (the
 * bundled baselines/variants.json says "root": "..", the repository root, so a copy of it beside it works too).
 * One rule for every reader and writer of variants files (bench run, bench quantize).
 */
export function variantsBase(file: string, root: string | undefined): string {
  return path.resolve(path.dirname(path.resolve(file)), root ?? '.');
}

export type OnnxVariant = z.infer<typeof OnnxVariantSchema>;
export type CommandVariant = z.infer<typeof CommandVariantSchema>;
export type DockerVariant = z.infer<typeof DockerVariantSchema>;
export type Variant = z.infer<typeof VariantSchema>;

/** Repository root (two levels above src/runner, dist/runner or the bundle's dist/bundle/ files, scripts/bundle.mjs). */
export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
export const DEFAULT_VARIANTS_FILE = path.join(REPO_ROOT, 'baselines', 'variants.json');

/** Keys a strict object at `path` of the variants file accepts (for spelling suggestions). */
function knownKeys(raw: unknown, at: PropertyKey[]): string[] {
  const shape = (o: z.ZodType): string[] => Object.keys((o as unknown as { shape?: Record<string, unknown> }).shape ?? {});
  if (at.length === 0) return shape(VariantsFileSchema);
  if (at[0] !== 'variants' || typeof at[1] !== 'number') return [];
  const v = ((raw as { variants?: unknown[] }).variants ?? [])[at[1]] as { kind?: string } | undefined;
  const schema = v?.kind === 'onnx' ? OnnxVariantSchema : v?.kind === 'command' ? CommandVariantSchema : v?.kind === 'docker' ? DockerVariantSchema : null;
  if (!schema) return [];
  if (at.length === 2) return shape(schema);
  if (at.length === 3 && at[2] === 'sha256') return ['encoder', 'decoder'];
  if (at.length === 3 && at[2] === 'tensors') return ['image', 'embeddings', 'decoderEmbeddings', 'masks', 'iou'];
  if (at.length === 3 && at[2] === 'boxEncoding') return ['type', 'input', 'coordsInput', 'labelsInput'];
  return [];
}

/**
 * The closest accepted key to an unknown one (Levenshtein distance on the lower-case name without `_`/`-`, at most 3
 * and less than half its length), or undefined: `sha265` -> `sha256`, `timeout_s` -> `timeoutS`.
 */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  const byNorm = new Map(known.map((k) => [norm(k), k]));
  const best = closest(norm(unknown), [...byNorm.keys()]);
  const d = distance(norm(unknown), best);
  return d <= 3 && d < Math.max(2, norm(unknown).length / 2) ? byNorm.get(best) : undefined;
}

function issueText(i: z.core.$ZodIssue, raw: unknown): string {
  const where = i.path.map(String).join('.') || '(root)';
  if (i.code === 'unrecognized_keys') {
    const known = knownKeys(raw, i.path);
    const keys = i.keys.map((k) => {
      const s = suggestKey(k, known);
      return `"${k}"${s ? ` (did you mean "${s}"?)` : ''}`;
    });
    return `${where}: unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}; accepted: ${known.join(', ')}`;
  }
  return `${where}: ${i.message}`;
}

/**
 * Read and validate a variants file. Unknown keys are errors (a misspelt `sha265` or `timeout_s` would otherwise be
 * ignored silently), with the closest accepted key suggested.
 * Relative paths inside (encoder, decoder, imageArchive, cwd) are resolved against {@link variantsBase}: the file's
 * folder joined with its optional `root` key.
 * @throws Error naming the file, the variant index/key, what was expected and what was found.
 */
export function loadVariants(file = DEFAULT_VARIANTS_FILE): Variant[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(fileErrorText(file, e, 'cannot read the variants file'), { cause: e });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(fileErrorText(file, e, 'variants file is not valid JSON'), { cause: e });
  }
  const parsed = VariantsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${issueText(i, raw)}`).join('\n');
    throw new Error(`${file}: invalid variants file:\n${issues}`);
  }
  const base = variantsBase(file, parsed.data.root);
  const names = new Set<string>();
  return parsed.data.variants.map((v) => {
    if (names.has(v.name)) throw new Error(`${file}: duplicate variant name "${v.name}"`);
    names.add(v.name);
    const abs = (p: string | undefined) => (p === undefined ? p : path.isAbsolute(p) ? p : path.join(base, p));
    if (v.kind === 'onnx') return { ...v, encoder: abs(v.encoder)!, decoder: abs(v.decoder)! };
    if (v.kind === 'command') return { ...v, cwd: abs(v.cwd) };
    return { ...v, imageArchive: abs(v.imageArchive) };
  });
}

/**
 * Select variants by a comma list (`a,b`) or `all` (undefined: all).
 * @param flag the option, for messages (`--variants`; `bench predict` says `--variant`)
 * @throws Error listing the known names when a name is unknown; when the list is empty (an unset shell variable must
 *   not select every variant) or names a variant twice.
 */
export function selectVariants(all: Variant[], list: string | undefined, flag = '--variants'): Variant[] {
  if (list === undefined || list.trim() === 'all') return all;
  const wanted = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (!wanted.length) throw new Error(`${flag}: expected a comma-separated list of variant names (or "all"), found an empty value`);
  const twice = wanted.find((n, i) => wanted.indexOf(n) !== i);
  if (twice) throw new Error(`${flag}: variant "${twice}" is listed twice`);
  return wanted.map((n) => {
    const v = all.find((x) => x.name === n);
    if (!v) throw new Error(`${flag}: unknown variant "${n}"; known: ${all.map((x) => x.name).join(', ')}`);
    return v;
  });
}

/**
 * Run-level notes of the report (src/reports/model.ts puts them in `runNotes` and `contextLine`): metric mode,
 * tolerance, spacing convention, what the case times include, load times and start overheads, machine, timing
 * warnings (contention listed compactly), model notes (./model-notes.ts), unfinished run. Read from run.json
 * (docs/results-format.md) and the run's timing warnings.
 */
import { modelNotes } from './model-notes.js';
import type { RunMeta } from '../results/store.js';
import type { CaseTimingWarning } from '../stats/warnings.js';
import { timingWarningText } from '../stats/warnings.js';
import { formatSeconds } from './format.js';
import type { VariantInfo } from './model-types.js';

const SPACING_TEXT: Record<string, string> = {
  'as-stored': "as-stored (the case file's spacing vector applied verbatim to the array axes, as the official scorer)",
  xyz: 'xyz (spacing stored as (x, y, z), applied to the (z, y, x) array axes)',
  zyx: 'zyx (spacing stored in array-axis order (z, y, x))',
};

/**
 * One line every table carries: run id, metric mode, NSD tolerance (mm in 3D, pixels in 2D), spacing convention, and
 * what the case times include per variant kind (run.json `timing.includes`).
 */
export function contextLine(meta: RunMeta, variants: VariantInfo[]): string {
  const m = meta.metrics ?? ({} as RunMeta['metrics']);
  const tol = m.tolerance_mm ?? NaN;
  const kinds = [...new Set(variants.map((v) => v.kind))];
  const times = kinds.map((k) => `${k} variants: ${meta.timing?.includes?.[k] ?? 'not stated in run.json'}`).join('; ');
  return (
    `Run ${meta.run_id}: metric mode ${m.mode ?? 'not stated'}; NSD tolerance ${tol} mm (3D; ${tol} pixels in 2D); ` +
    `spacing convention ${m.spacing_order ?? 'not stated'}; times per case include: ${times}.`
  );
}

/**
 * One note for every case timed under contention (the sentence once, the cases listed compactly per variant with the
 * other processes' CPU share), instead of the long sentence once per case.
 */
function contentionNote(ws: CaseTimingWarning[]): string {
  const share = (w: CaseTimingWarning) => (w.warning.kind === 'contention' ? w.warning.other_cpu_share : NaN);
  const threshold = ws[0]!.warning.kind === 'contention' ? ws[0]!.warning.threshold : NaN;
  const byVariant = new Map<string, CaseTimingWarning[]>();
  for (const w of ws) byVariant.set(w.variant, [...(byVariant.get(w.variant) ?? []), w]);
  const lists = [...byVariant].map(([v, l]) => `${v}: ${l.map((w) => `${w.case} ${(100 * share(w)).toFixed(0)}%`).join(', ')}`);
  return (
    `Timing warning: ${ws.length} case(s) timed under contention (other processes used more than ${(100 * threshold).toFixed(0)}% of the machine's CPU time during the case; ` +
    `the wall time is inflated — compare cpu_s or re-run on a quiet machine). Other processes' share per case: ${lists.join('; ')}.`
  );
}

/**
 * The run-level notes, in print order: official NSD rule (official mode), metric mode / tolerance / spacing, timing
 * protocol, what each variant kind's times include, preparation (load) seconds, container and start overheads,
 * machine, timing warnings (contention ones merged into one note), model notes, unfinished run.
 * @param warnings the run's timing warnings (results `warnings`), already filtered to the shown variants
 */
export function runNotes(meta: RunMeta, variants: VariantInfo[], warnings: CaseTimingWarning[]): string[] {
  const notes: string[] = [];
  const m = meta.metrics ?? ({} as RunMeta['metrics']);
  const tol = m.tolerance_mm ?? NaN;
  const modeText =
    m.mode === 'official'
      ? 'official (compute_metrics.py semantics)'
      : m.mode === 'strict'
        ? 'strict (documented physical variant, not the official numbers)'
        : String(m.mode ?? 'not stated in run.json');
  if (m.mode === 'official') {
    notes.push('Official rule: a case whose DSC is not above 0.2 gets NSD 0 (the scorer computes NSD only when DSC > 0.2); labels.csv keeps the per-label NSD.');
  }
  notes.push(
    `Metric mode: ${modeText}; NSD tolerance: ${tol} mm for 3D cases (${tol} pixels for 2D cases, evaluated at unit ` +
      `spacing); spacing convention: ${SPACING_TEXT[m.spacing_order] ?? String(m.spacing_order ?? 'not stated')}.`,
  );
  const t = meta.timing ?? ({ repeat: 1, warmup: 0, includes: {} });
  const rep = t.repeat > 1 ? `median of ${t.repeat} timed repeats` : 'one timed run';
  const warm = t.warmup > 0 ? ` after ${t.warmup} untimed warm-up run${t.warmup > 1 ? 's' : ''} of the smallest case per in-process variant` : ', no warm-up';
  notes.push(`Times: wall-clock seconds per case, ${rep}${warm}.`);
  const kinds = [...new Set(variants.map((v) => v.kind))];
  for (const k of kinds) {
    const names = variants.filter((v) => v.kind === k).map((v) => v.name).join(', ');
    notes.push(`Times of ${k} variants (${names}) include: ${t.includes?.[k] ?? 'not stated in run.json'}.`);
  }
  const loads = variants.filter((v) => !Number.isNaN(v.loadTimeS));
  if (loads.length) {
    notes.push(
      `Preparation before timing (model or image load), not in the case times: ` +
        loads.map((v) => `${v.name} ${formatSeconds(v.loadTimeS)} s`).join(', ') +
        '.',
    );
  }
  if (typeof t.container_overhead_s === 'number') {
    notes.push(`Measured container start/stop overhead (empty container): ${formatSeconds(t.container_overhead_s)} s.`);
  }
  const overheads = (meta.variants ?? []).filter((v) => v.overhead && typeof v.overhead.median_s === 'number');
  if (overheads.length) {
    notes.push(
      `Start overhead inside the case times (median of no-op runs under the same protocol: process or container start): ` +
        overheads.map((v) => `${v.name} ${formatSeconds(v.overhead!.median_s)} s (${v.kind})`).join(', ') +
        '.',
    );
  }
  const mc = meta.machine;
  if (mc) {
    const versions = Object.entries(meta.versions ?? {}).map(([k, v]) => `${k} ${v}`).join(', ');
    notes.push(
      `Machine: ${mc.cpu_model}, ${mc.cores} cores, ${mc.memory_gb} GB, ${mc.platform}/${mc.arch}; ` +
        `intra-op threads: ${meta.threads?.intra_op ?? 'n/a'}${versions ? `; ${versions}` : ''}.`,
    );
  }
  for (const w of warnings) if (w.warning.kind !== 'contention') notes.push(`Timing warning, ${w.variant} on ${w.case}: ${timingWarningText(w.warning)}.`);
  const contention = warnings.filter((w) => w.warning.kind === 'contention');
  if (contention.length) notes.push(contentionNote(contention));
  notes.push(...modelNotes(meta));
  if (!meta.finished_at) notes.push('Run not finished (run.json finished_at is null): the tables show the cases written so far.');
  return notes;
}

/**
 * Markdown summary of a gate verdict, for CI logs and pull-request comments: the verdict, the reasons, one table per
 * variant (modality means before/after, the Average, the time check) and the worst cases.
 */
import { formatFixed } from '../text/numbers.js';
import { escapeMarkdown, markdownCode, markdownTable, type MarkdownCell } from '../reports/format.js';
import type { GateVerdict, MetricComparison, ModalityComparison, VariantComparison } from './verdict.js';

const f4 = (x: number) => (Number.isNaN(x) ? 'n/a' : formatFixed(x, 4));
const d4 = (x: number) => (Number.isNaN(x) ? 'n/a' : `${x >= 0 ? '+' : '−'}${formatFixed(Math.abs(x), 4)}`);
const f3 = (x: number) => (Number.isNaN(x) ? 'n/a' : formatFixed(x, 3));
const short = (sha: string | null) => (sha ? sha.slice(0, 10) + (sha.endsWith('-dirty') ? '-dirty' : '') : 'unknown');
const esc = escapeMarkdown;

function mark(c: MetricComparison): string {
  return c.regression ? ' **✗**' : '';
}

function row(r: ModalityComparison, bold = false): MarkdownCell[] {
  return [
    { text: r.modality, bold }, String(r.n), f4(r.dsc.baseline), f4(r.dsc.current), { raw: `${d4(r.dsc.delta)}${mark(r.dsc)}` },
    f4(r.nsd.baseline), f4(r.nsd.current), { raw: `${d4(r.nsd.delta)}${mark(r.nsd)}` },
  ];
}

/** Column alignment of the gate's tables: the first (or first two) left, numbers right. */
const align = (n: number, left: number) => Array.from({ length: n }, (_, i) => (i < left ? '-' : 'r'));

function variantSection(v: VariantComparison, verdict: GateVerdict): string[] {
  const failed = verdict.failures.some((f) => f.variant === v.variant);
  const title = `### ${failed ? '✗' : '✓'} ${markdownCode(v.variant)}${v.label ? ` (${esc(v.label)})` : ''}`;
  const out = [title, ''];
  const head = ['modality', 'cases', 'DSC baseline', 'DSC now', 'ΔDSC', 'NSD baseline', 'NSD now', 'ΔNSD'];
  out.push(markdownTable(head, align(head.length, 1), [...v.modalities.map((r) => row(r)), row(v.average, true)]));
  out.push('');
  const t = v.time;
  const pct = `${Math.round(verdict.options.confidence * 1000) / 10}%`;
  if (t.basis === 'none') out.push(`Time: ${t.note}.`);
  else {
    const what = t.basis === 'relative' ? `time relative to ${markdownCode(t.reference)}` : 'absolute time';
    const verdictWord = { ok: 'ok', slower: '**slower ✗**', faster: 'faster', insufficient: 'not judged', skipped: 'not judged' }[t.status];
    out.push(
      `Time (${what}, now / baseline, ${t.n} paired cases): median ratio ${f3(t.median)}, ${pct} sign-test CI [${f3(t.lower)}, ${f3(t.upper)}], geometric mean ${f3(t.geomean)} → ${verdictWord}` +
        (t.status === 'insufficient' ? ` (${t.note})` : '') + '.',
    );
  }
  if (v.missing.length > 0) out.push('', `Missing cases: ${v.missing.map(markdownCode).join(', ')}.`);
  if (v.failed.length > 0) out.push('', `Failed cases: ${v.failed.map(markdownCode).join(', ')}.`);
  if (v.worst.length > 0) {
    out.push('', `<details><summary>Cases that dropped most (${v.worst.length})</summary>`, '');
    const head = ['case', 'modality', 'DSC baseline', 'DSC now', 'ΔDSC', 'NSD baseline', 'NSD now', 'ΔNSD', 'time ratio'];
    const rows = v.worst.map((c) => [
      `${c.case}${c.status_current === 'failed' ? ' (failed)' : ''}`, c.modality, f4(c.dsc_baseline), f4(c.dsc_current), d4(c.dsc_delta),
      f4(c.nsd_baseline), f4(c.nsd_current), d4(c.nsd_delta), f3(c.time_ratio),
    ]);
    out.push(markdownTable(head, align(head.length, 2), rows));
    out.push('', '</details>');
  }
  out.push('');
  return out;
}

/** Render the verdict as GitHub-flavoured Markdown (ends with a newline). */
export function renderMarkdown(v: GateVerdict): string {
  const o = v.options;
  const pct = `${Math.round(o.confidence * 1000) / 10}%`;
  const out: string[] = [];
  out.push(`## bench gate: ${v.verdict === 'pass' ? '✅ PASS' : '❌ FAIL'}`, '');
  out.push(
    `Run ${markdownCode(v.run.run_id)} (commit ${short(v.run.git_commit)}) against baseline ` +
      `${v.baseline.file ? `${markdownCode(v.baseline.file)} ` : ''}(run ${markdownCode(v.baseline.run_id)}, commit ${short(v.baseline.git_commit)}).`,
  );
  out.push(
    `Metrics: ${v.metrics.mode}, NSD tolerance ${v.metrics.tolerance_mm} mm, spacing ${v.metrics.spacing_order}. ` +
      `Thresholds: DSC drop ≤ ${o.maxDscDrop}, NSD drop ≤ ${o.maxNsdDrop} per modality mean and Average; ` +
      `time: fail when the ${pct} sign-test CI of the median paired time ratio is entirely above ${o.maxTimeRatio} ` +
      `(relative to ${markdownCode(o.timeReference)})${o.skipTime ? ` — time not judged (${o.skipTimeReason ?? '--skip-time'})` : ''}.`,
  );
  out.push('');
  if (v.failures.length > 0) {
    out.push(`**${v.failures.length} problem(s):**`, '');
    for (const f of v.failures) out.push(`- ${esc(f.message)}`);
    out.push('');
  }
  for (const s of v.variants) out.push(...variantSection(s, v));
  if (v.notes.length > 0) {
    out.push('**Notes**', '');
    for (const n of v.notes) out.push(`- ${esc(n)}`);
    out.push('');
  }
  return out.join('\n');
}

/**
 * The short verdict printed by `bench gate` on PASS (the full Markdown on FAIL or with --verbose): a title line, then
 * one line per variant with the Average DSC/NSD now and its change, and the time check.
 */
export function renderShort(v: GateVerdict): string {
  const out = [
    `bench gate: ${v.verdict === 'pass' ? 'PASS' : 'FAIL'} (run ${v.run.run_id} vs baseline ${v.baseline.file ?? v.baseline.run_id}; ` +
      `${v.failures.length} problem(s), ${v.notes.length} note(s); --verbose for the full summary)`,
  ];
  const w = Math.max(...v.variants.map((s) => s.variant.length), 7);
  for (const s of v.variants) {
    const failed = v.failures.some((f) => f.variant === s.variant);
    const a = s.average;
    const t = s.time;
    const time =
      t.basis === 'none' ? `time ${t.status === 'skipped' ? 'not judged' : t.status}` : `time x${f3(t.median)} [${f3(t.lower)}, ${f3(t.upper)}] ${t.status === 'insufficient' ? 'not judged' : t.status}`;
    out.push(
      `  ${failed ? 'FAIL' : 'ok  '} ${s.variant.padEnd(w)}  ${s.n_compared} cases  DSC ${f4(a.dsc.current)} (${d4(a.dsc.delta)})  NSD ${f4(a.nsd.current)} (${d4(a.nsd.delta)})  ${time}`,
    );
  }
  return out.join('\n') + '\n';
}

/**
 * The "Hosts" section of the report (issue 11): per host fingerprint (src/distributed/fingerprint.ts), the workers
 * seen on it, the cases it ran, the median time per variant, the fingerprint facts and the calibration figure each
 * worker measured at start. Times of different fingerprints are not comparable (docs/distributed.md).
 */
import type { RunData } from '../results/store.js';
import { median } from '../stats/summary.js';
import { escapeHtml, markdownTable } from './format.js';

interface HostEntry {
  cpu_model?: string;
  cpu_flags?: Record<string, boolean>;
  cores?: number;
  memory_gb?: number;
  onnxruntime?: string;
  docker?: string | null;
  workers?: string[];
  calibration?: Record<string, { workload?: string; median_s?: number }>;
}

/** One host of a run: facts, the cases and rows it ran, median seconds per variant (ok rows). */
export interface HostSummary {
  id: string;
  facts: HostEntry;
  cases: number;
  rows: number;
  medianTimeS: Record<string, number>;
}

/** Hosts of a run, in order of first appearance in cases.csv (rows without a host id are left out). */
export function hostSummaries(run: RunData): HostSummary[] {
  const hosts = (run.meta.hosts ?? {}) as Record<string, HostEntry>;
  const ids = [...new Set(run.cases.map((r) => r.host ?? '').filter(Boolean))];
  return ids.map((id) => {
    const rows = run.cases.filter((r) => r.host === id);
    const medianTimeS: Record<string, number> = {};
    for (const v of [...new Set(rows.map((r) => r.variant))]) {
      const t = rows.filter((r) => r.variant === v && r.status === 'ok' && Number.isFinite(r.time_s)).map((r) => r.time_s);
      medianTimeS[v] = t.length ? median(t) : NaN;
    }
    return { id, facts: hosts[id] ?? {}, cases: new Set(rows.map((r) => r.case)).size, rows: rows.length, medianTimeS };
  });
}

/** The Hosts table as text cells (header, rows) and its closing sentence; undefined for a run without host ids. */
function hostsTable(run: RunData): { header: string[]; right: boolean[]; rows: string[][]; note: string } | undefined {
  const hs = hostSummaries(run);
  if (hs.length === 0) return undefined;
  const variants = [...new Set(run.cases.map((r) => r.variant))];
  const flags = (f: HostEntry) => Object.entries(f.cpu_flags ?? {}).filter(([, on]) => on).map(([k]) => k).join(' ') || 'none';
  const calib = (f: HostEntry) => Object.entries(f.calibration ?? {}).map(([w, c]) => `${w}: ${c.median_s === undefined ? '?' : (c.median_s * 1e3).toFixed(1)} ms`).join(', ');
  const workload = Object.values(hs[0]!.facts.calibration ?? {})[0]?.workload ?? 'reference workload';
  const cols: Array<[string, boolean, (h: HostSummary) => string]> = [
    ['host', false, (h) => h.id],
    ['workers', false, (h) => (h.facts.workers ?? []).join(', ')],
    ['cases', true, (h) => String(h.cases)],
    ...variants.map((v): [string, boolean, (h: HostSummary) => string] => [`median time ${v} (s)`, true, (h) => (Number.isFinite(h.medianTimeS[v]) ? h.medianTimeS[v]!.toFixed(3) : 'n/a')]),
    ['CPU', false, (h) => h.facts.cpu_model ?? '?'],
    ['flags', false, (h) => flags(h.facts)],
    ['cores', true, (h) => String(h.facts.cores ?? '?')],
    ['memory (GiB)', true, (h) => String(h.facts.memory_gb ?? '?')],
    ['onnxruntime', false, (h) => h.facts.onnxruntime ?? '?'],
    ['Docker', false, (h) => h.facts.docker ?? 'none'],
    [`calibration (${workload})`, false, (h) => calib(h.facts)],
  ];
  return {
    header: cols.map((c) => c[0]),
    right: cols.map((c) => c[1]),
    rows: hs.map((h) => cols.map((c) => c[2](h))),
    note:
      hs.length > 1
        ? `Times come from ${hs.length} different host fingerprints: compare times only within one host (bench gate does not judge time across them without --allow-mixed-hosts).`
        : 'All rows were timed on one host fingerprint.',
  };
}

/** The Markdown "Hosts" section; empty text for a run whose rows carry no host id. */
export function hostsMarkdown(run: RunData): string {
  const t = hostsTable(run);
  if (!t) return '';
  return [
    '### Hosts',
    '',
    markdownTable(t.header, t.right.map((r) => (r ? 'r' : '-')), t.rows.map((r) => [{ text: r[0]!, code: true }, ...r.slice(1)])),
    '',
    t.note,
  ].join('\n');
}

/** The HTML "Hosts" section (same table and sentence as the Markdown); empty text for a run without host ids. */
export function hostsHtml(run: RunData): string {
  const t = hostsTable(run);
  if (!t) return '';
  const cell = (tag: string, text: string, right: boolean) => `<${tag}${right ? '' : ' class="l"'}>${escapeHtml(text)}</${tag}>`;
  return [
    '<h2 id="hosts">Hosts</h2>',
    `<table class="hosts"><thead><tr>${t.header.map((h, i) => cell('th', h, t.right[i]!)).join('')}</tr></thead><tbody>`,
    ...t.rows.map((r) => `<tr>${r.map((c, i) => cell('td', c, t.right[i]!)).join('')}</tr>`),
    '</tbody></table>',
    `<p>${escapeHtml(t.note)}</p>`,
  ].join('\n');
}

/**
 * The "Hosts" section of the report (issue 11): per host fingerprint (src/distributed/fingerprint.ts), the workers
 * seen on it, the cases it ran, the median time per variant, the fingerprint facts and the calibration figure each
 * worker measured at start. Times of different fingerprints are not comparable (docs/distributed.md).
 */
import type { RunData } from '../results/store.js';
import { median } from '../stats/summary.js';

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

/** The Markdown "Hosts" section; empty text for a run whose rows carry no host id. */
export function hostsMarkdown(run: RunData): string {
  const hs = hostSummaries(run);
  if (hs.length === 0) return '';
  const variants = [...new Set(run.cases.map((r) => r.variant))];
  const flags = (f: HostEntry) => Object.entries(f.cpu_flags ?? {}).filter(([, on]) => on).map(([k]) => k).join(' ') || 'none';
  const calib = (f: HostEntry) => Object.entries(f.calibration ?? {}).map(([w, c]) => `${w}: ${c.median_s === undefined ? '?' : (c.median_s * 1e3).toFixed(1)} ms`).join(', ');
  const lines = [
    '### Hosts',
    '',
    `| host | workers | cases | ${variants.map((v) => `median time ${v} (s)`).join(' | ')} | CPU | flags | cores | memory (GiB) | onnxruntime | Docker | calibration (${Object.values(hs[0]!.facts.calibration ?? {})[0]?.workload ?? 'reference workload'}) |`,
    `| --- | --- | ---: | ${variants.map(() => '---:').join(' | ')} | --- | --- | ---: | ---: | --- | --- | --- |`,
    ...hs.map((h) => `| \`${h.id}\` | ${(h.facts.workers ?? []).join(', ')} | ${h.cases} | ${variants.map((v) => (Number.isFinite(h.medianTimeS[v]) ? h.medianTimeS[v]!.toFixed(3) : 'n/a')).join(' | ')} | ${h.facts.cpu_model ?? '?'} | ${flags(h.facts)} | ${h.facts.cores ?? '?'} | ${h.facts.memory_gb ?? '?'} | ${h.facts.onnxruntime ?? '?'} | ${h.facts.docker ?? 'none'} | ${calib(h.facts)} |`),
    '',
    hs.length > 1
      ? `Times come from ${hs.length} different host fingerprints: compare times only within one host (bench gate does not judge time across them without --allow-mixed-hosts).`
      : 'All rows were timed on one host fingerprint.',
  ];
  return lines.join('\n');
}

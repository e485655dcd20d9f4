/**
 * Time is judged only between rows timed on the same kind of host (issue 11): rows record the id of their host
 * fingerprint (`cases.csv` column `host`, facts in `run.json` `hosts`, src/distributed/fingerprint.ts). `bench gate`
 * refuses to judge time when a run's rows come from several fingerprints, or when the run's hosts are not the
 * baseline's machine (CPU model and cores, the facts a baseline records), unless `--allow-mixed-hosts`. Accuracy is
 * gated either way.
 */
import type { RunData } from '../results/store.js';
import type { Baseline } from './baseline.js';

interface HostFacts {
  cpu_model?: string;
  cores?: number;
}

/**
 * Why time must not be judged between this run and the baseline, or null when the hosts agree.
 * Rows without a host id (runs written before fingerprints existed) are taken as timed on the run's `machine`.
 * @returns a sentence naming the fingerprints or machines that differ
 */
export function mixedHosts(run: RunData, baseline: Baseline): string | null {
  const ids = [...new Set(run.cases.filter((r) => r.status === 'ok').map((r) => r.host ?? ''))];
  const named = ids.filter(Boolean);
  if (named.length > 1 || (named.length === 1 && ids.length > 1)) {
    return `the run's rows were timed on ${ids.length} different host fingerprints (${ids.map((i) => i || 'unrecorded').join(', ')})`;
  }
  const hosts = (run.meta.hosts ?? {}) as Record<string, HostFacts>;
  const runHost: HostFacts | undefined = named.length === 1 ? hosts[named[0]!] : (run.meta.machine);
  const base = baseline.run.machine as HostFacts | null;
  if (!runHost || !base) return null;
  if (runHost.cpu_model !== base.cpu_model || runHost.cores !== base.cores) {
    return `the run was timed on ${runHost.cpu_model ?? '?'} x${runHost.cores ?? '?'}, the baseline on ${base.cpu_model ?? '?'} x${base.cores ?? '?'}`;
  }
  return null;
}

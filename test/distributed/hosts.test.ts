/**
 * Host fingerprints in reports and the gate: the Hosts section lists each fingerprint with its cases, median times
 * and calibration; bench gate does not judge time across different fingerprints unless --allow-mixed-hosts.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRun, type RunData } from '../../src/results/store.js';
import { hostsHtml, hostsMarkdown, hostSummaries } from '../../src/reports/hosts.js';
import { mixedHosts } from '../../src/gate/hosts.js';
import { buildBaseline } from '../../src/gate/baseline.js';
import { cpuFlags } from '../../src/distributed/fingerprint.js';

const FIXTURE = path.resolve(import.meta.dirname, '..', 'fixtures', 'results-small');
const HOST = (id: string, cpu: string) => ({ id, cpu_model: cpu, cores: 2, memory_gb: 8, cpu_flags: { avx2: true, avx512f: false, avx512_vnni: false, amx: false }, onnxruntime: '1.30.0', docker: null, workers: [`w-${id}`], calibration: { [`w-${id}`]: { workload: 'js-sgemm-160', median_s: 0.02 } } });

/** the fixture run with its rows split between two hosts (or all on one) */
function withHosts(split: boolean): RunData {
  const run = readRun(FIXTURE);
  run.meta.hosts = { aaaaaaaaaaaa: HOST('aaaaaaaaaaaa', 'CPU A'), bbbbbbbbbbbb: HOST('bbbbbbbbbbbb', 'CPU B') };
  run.cases = run.cases.map((r, i) => ({ ...r, worker: split && i % 2 ? 'w-bbbbbbbbbbbb' : 'w-aaaaaaaaaaaa', host: split && i % 2 ? 'bbbbbbbbbbbb' : 'aaaaaaaaaaaa' }));
  return run;
}

describe('host fingerprints in reports and gate', () => {
  it('the Hosts section: one line per fingerprint, its cases and the median time per variant of its ok rows', () => {
    const run = withHosts(true);
    const hs = hostSummaries(run);
    expect(hs.map((h) => h.id)).toEqual(['aaaaaaaaaaaa', 'bbbbbbbbbbbb']);
    for (const h of hs) {
      const mine = run.cases.filter((r) => r.host === h.id);
      expect(h.rows).toBe(mine.length);
      for (const v of Object.keys(h.medianTimeS)) {
        const t = mine.filter((r) => r.variant === v && r.status === 'ok' && Number.isFinite(r.time_s)).map((r) => r.time_s).sort((a, b) => a - b);
        const m = t.length % 2 ? t[(t.length - 1) / 2]! : (t[t.length / 2 - 1]! + t[t.length / 2]!) / 2;
        if (t.length) expect(h.medianTimeS[v]).toBeCloseTo(m, 12);
      }
    }
    const md = hostsMarkdown(run);
    expect(md).toMatch(/### Hosts/);
    expect(md).toMatch(/CPU A/);
    expect(md).toMatch(/20\.0 ms/);
    expect(md).toMatch(/2 different host fingerprints/);
    expect(hostsMarkdown(readRun(FIXTURE))).toBe(''); // rows without host ids: no section
    // the HTML report has the same section: same cells, same sentence
    const html = hostsHtml(run);
    expect(html).toMatch(/<h2 id="hosts">Hosts<\/h2>/);
    expect((html.match(/<tr>/g) ?? []).length).toBe(1 + 2);
    expect(html).toContain('<td class="l">CPU B</td>');
    expect(html).toContain('2 different host fingerprints');
    expect(hostsHtml(readRun(FIXTURE))).toBe('');
  });

  it('bench gate: time between different fingerprints is refused, within one fingerprint and machine it is judged', () => {
    const base = buildBaseline(readRun(FIXTURE));
    expect(mixedHosts(withHosts(true), base)).toMatch(/2 different host fingerprints/);
    const one = withHosts(false);
    (base.run as { machine: unknown }).machine = { cpu_model: 'CPU A', cores: 2 };
    expect(mixedHosts(one, base)).toBeNull();
    (base.run as { machine: unknown }).machine = { cpu_model: 'CPU C', cores: 2 };
    expect(mixedHosts(one, base)).toMatch(/CPU A x2, the baseline on CPU C x2/);
  });

  it('CPU flags that pick INT8 kernels are read from /proc/cpuinfo text', () => {
    expect(cpuFlags('processor : 0\nflags\t\t: fpu sse avx2 avx512f avx512_vnni amx_int8 amx_tile\n')).toEqual({ avx2: true, avx512f: true, avx512_vnni: true, amx: true });
    expect(cpuFlags('flags : fpu sse sse2\n')).toEqual({ avx2: false, avx512f: false, avx512_vnni: false, amx: false });
  });
});

/**
 * Host fingerprint: the facts that decide whether times from two machines may be compared (CPU model, the instruction
 * set flags that change onnxruntime's INT8 kernels, cores, memory, onnxruntime and Docker versions), and a
 * calibration figure each worker measures at start on a fixed reference workload.
 * Two hosts with the same fingerprint id are taken as interchangeable timing hosts (docs/distributed.md).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { machineFacts, versionFacts } from '../run/machine.js';
import { median } from '../stats/summary.js';

/** The instruction-set flags recorded: avx2/avx512f/avx512_vnni/amx pick different INT8 GEMM kernels. */
export const CPU_FLAGS = ['avx2', 'avx512f', 'avx512_vnni', 'amx'] as const;

export interface HostFingerprint {
  /** first 12 hex digits of sha256 over every field below but hostname */
  id: string;
  hostname: string;
  cpu_model: string;
  cpu_flags: Record<(typeof CPU_FLAGS)[number], boolean>;
  cores: number;
  memory_gb: number;
  arch: string;
  onnxruntime: string;
  /** Docker engine version, or null when no engine answers */
  docker: string | null;
}

/** Calibration: median seconds of a fixed single-thread workload (a 160^3 float32 matrix product in JS). */
export interface HostCalibration {
  workload: string;
  median_s: number;
  runs: number;
}

/** CPU flags from /proc/cpuinfo (Linux); all false elsewhere. `amx` is true for any amx_* flag. */
export function cpuFlags(cpuinfo?: string): HostFingerprint['cpu_flags'] {
  let text = cpuinfo ?? '';
  if (cpuinfo === undefined) try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    text = '';
  }
  const line = text.split('\n').find((l) => /^(flags|Features)\s*:/.test(l)) ?? '';
  const flags = new Set(line.replace(/^[^:]*:/, '').trim().split(/\s+/));
  return { avx2: flags.has('avx2'), avx512f: flags.has('avx512f'), avx512_vnni: flags.has('avx512_vnni'), amx: [...flags].some((f) => f.startsWith('amx')) };
}

async function dockerVersion(timeoutMs: number): Promise<string | null> {
  try {
    const { default: Docker } = await import('dockerode');
    const v = await Promise.race([
      new Docker().version(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
    return (v as { Version?: string }).Version ?? null;
  } catch {
    return null;
  }
}

/** Fingerprint of this host (asks the Docker engine for its version, at most `dockerTimeoutMs`). */
export async function hostFingerprint(dockerTimeoutMs = 1500): Promise<HostFingerprint> {
  const m = machineFacts();
  const facts = {
    cpu_model: m.cpu_model,
    cpu_flags: cpuFlags(),
    cores: m.cores,
    memory_gb: m.memory_gb,
    arch: m.arch,
    onnxruntime: versionFacts().onnxruntime ?? 'unknown',
    docker: await dockerVersion(dockerTimeoutMs),
  };
  const id = createHash('sha256').update(JSON.stringify(facts)).digest('hex').slice(0, 12);
  return { id, hostname: os.hostname(), ...facts };
}

/**
 * The reference workload: a 160 x 160 x 160 float32 matrix product on one thread, 5 runs, median seconds. It tracks
 * single-core speed (what a one-thread timing host sees); compare it across hosts, not with model times.
 */
export function calibrateHost(runs = 5): HostCalibration {
  const n = 160;
  const a = new Float32Array(n * n);
  const b = new Float32Array(n * n);
  for (let i = 0; i < n * n; i++) {
    a[i] = ((i * 7) % 13) / 13;
    b[i] = ((i * 5) % 11) / 11;
  }
  const c = new Float32Array(n * n);
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    c.fill(0);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < n; k++) {
        const aik = a[i * n + k]!;
        const bo = k * n;
        const co = i * n;
        for (let j = 0; j < n; j++) c[co + j] = c[co + j]! + aik * b[bo + j]!;
      }
    }
    times.push((performance.now() - t0) / 1e3);
  }
  return { workload: 'js-sgemm-160', median_s: Math.round(median(times) * 1e6) / 1e6, runs };
}

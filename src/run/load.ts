/**
 * Load-robust timing facts of one case (Linux /proc; elsewhere only what Node reports):
 * - `cpu_s`: CPU seconds (user + system) of the work: this process for in-process variants (all onnxruntime
 *   threads), the reaped child processes for command variants (`cutime + cstime` of /proc/self/stat: the predictor
 *   and the descendants it waited for), the container's cgroup CPU usage for docker variants (reported by the runner);
 * - `other_cpu_share`: the share of the machine's CPU time (all cores, /proc/stat) that *other* processes used while
 *   the case ran: (busy jiffies of the machine - this work's CPU) / all jiffies, in 0..1;
 * - the 1-minute load average at the start and the end of the case.
 * A case is "timed under contention" when `other_cpu_share` exceeds {@link CONTENTION_THRESHOLD}: its wall time is
 * then not what a dedicated machine (as the challenge organizers used) would give; `cpu_s` is less affected.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Other processes used more than this share of all cores' CPU time during the case: "timed under contention". */
export const CONTENTION_THRESHOLD = 0.25;

/** Clock ticks per second of /proc times (USER_HZ; 100 on every Linux architecture Node supports). */
const USER_HZ = 100;

interface ProcStat {
  busy: number;
  total: number;
}

/** Busy and total jiffies of all cores (/proc/stat `cpu` line: user nice system idle iowait irq softirq steal). */
function readProcStat(): ProcStat | null {
  try {
    const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
    const busy = user + nice + system + irq + softirq + (steal ?? 0);
    return { busy, total: busy + idle + (iowait ?? 0) };
  } catch {
    return null;
  }
}

/** CPU seconds of the children this process has waited for (cutime + cstime of /proc/self/stat), or NaN. */
function reapedChildrenCpuS(): number {
  try {
    const s = readFileSync('/proc/self/stat', 'latin1');
    // fields after the command name (which may contain spaces) start at field 3
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[13]) + Number(rest[14])) / USER_HZ; // fields 16 and 17: cutime, cstime
  } catch {
    return NaN;
  }
}

/** Snapshot taken at the start of a case. */
export interface LoadSnapshot {
  stat: ProcStat | null;
  self: NodeJS.CpuUsage;
  childrenS: number;
  load: number;
  wall: number;
}

/** The load facts of one case (see the module doc). */
export interface LoadFacts {
  /** CPU seconds of the work, user + system */
  cpu_s: number;
  /** share (0..1) of all cores' CPU time used by other processes; NaN when /proc/stat is unreadable */
  other_cpu_share: number;
  /** 1-minute load average at the start and at the end */
  load_start: number;
  load_end: number;
}

/** Take a snapshot before the work starts. */
export function loadSnapshot(): LoadSnapshot {
  return { stat: readProcStat(), self: process.cpuUsage(), childrenS: reapedChildrenCpuS(), load: os.loadavg()[0]!, wall: performance.now() };
}

/**
 * The load facts since `start`.
 * @param kind the variant kind: `onnx` counts this process's CPU, `command` the reaped children's, `docker` `externalCpuS`
 * @param externalCpuS CPU seconds measured elsewhere (the container's cgroup), for docker; NaN when unknown
 */
export function loadFacts(start: LoadSnapshot, kind: string, externalCpuS = NaN): LoadFacts {
  const end = loadSnapshot();
  const self = process.cpuUsage(start.self);
  const selfS = (self.user + self.system) / 1e6;
  const childrenS = end.childrenS - start.childrenS;
  const cpu = kind === 'onnx' ? selfS : kind === 'command' ? childrenS : externalCpuS;
  // everything this run caused on the machine: the harness process, its children, the container
  const ours = selfS + (Number.isFinite(childrenS) ? childrenS : 0) + (kind === 'docker' && Number.isFinite(externalCpuS) ? externalCpuS : 0);
  let other = NaN;
  if (start.stat && end.stat && end.stat.total > start.stat.total) {
    const busyS = (end.stat.busy - start.stat.busy) / USER_HZ;
    const totalS = (end.stat.total - start.stat.total) / USER_HZ;
    other = Math.min(Math.max((busyS - ours) / totalS, 0), 1);
  }
  return { cpu_s: cpu, other_cpu_share: other, load_start: start.load, load_end: end.load };
}

/** Whether a case's facts say it was timed under contention ({@link CONTENTION_THRESHOLD}). */
export function underContention(f: Pick<LoadFacts, 'other_cpu_share'>): boolean {
  return f.other_cpu_share > CONTENTION_THRESHOLD;
}

/**
 * Process-tree helpers for the `command` kind, reading Linux `/proc` directly (no dependency):
 * descendants of a pid, their resident memory, and a sampler that records the peak while the tree runs.
 * On systems without `/proc` every function degrades to "unknown" (empty tree, undefined peak).
 */
import { readdirSync, readFileSync } from 'node:fs';

const PAGE_BYTES = 4096;

/** Parent pid of every live process, from `/proc/<pid>/stat` (field 4). */
function parentMap(): Map<number, number> {
  const out = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'latin1');
      // comm (field 2) may contain spaces and parentheses: parse after the last ')'
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(e), Number(rest[1]));
    } catch {
      // process exited between readdir and read
    }
  }
  return out;
}

/** `root` and all its live descendants (pids), by walking parent links in /proc. */
export function processTree(root: number): number[] {
  const parents = parentMap();
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    if (p !== root || parents.has(root)) out.push(p);
    for (const c of children.get(p) ?? []) stack.push(c);
  }
  return out;
}

/** Resident set size of one process in bytes (`/proc/<pid>/statm` field 2 x page size); 0 when it is gone. */
function rssBytes(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ');
    return Number(f[1]) * PAGE_BYTES;
  } catch {
    return 0;
  }
}

/**
 * Peak resident set size of this process so far, MiB (`getrusage` maxRSS, the kernel's high-water mark). The one
 * definition: the onnx runner reports it per case and `bench run` records it for in-process variants.
 */
export function processPeakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** The kernel's own high-water mark of one process (`VmHWM` in `/proc/<pid>/status`), bytes; 0 when unknown. */
function hwmBytes(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Samples the resident memory of a process tree every `intervalMs` while it runs.
 * The peak is max over samples of (sum of VmRSS over the tree) and of each process's own VmHWM (which the kernel keeps
 * exactly, so a single process's peak is never missed between samples). Shared pages are counted once per process.
 */
export class TreeMemorySampler {
  private timer: NodeJS.Timeout | undefined;
  private peak = 0;
  private seen = new Set<number>();

  constructor(
    private readonly root: number,
    private readonly intervalMs = 50,
  ) {}

  /** Starts sampling (takes a first sample immediately). */
  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Takes one sample now. */
  sample(): void {
    let sum = 0;
    for (const pid of processTree(this.root)) {
      this.seen.add(pid);
      sum += rssBytes(pid);
      this.peak = Math.max(this.peak, hwmBytes(pid));
    }
    this.peak = Math.max(this.peak, sum);
  }

  /** Stops sampling. @returns peak resident memory in MiB, or undefined when nothing could be read. */
  stop(): number | undefined {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return this.peak > 0 ? this.peak / 1048576 : undefined;
  }

  /** How many distinct processes the tree had over its life (as far as sampling saw). */
  processCount(): number {
    return this.seen.size;
  }
}

/** Name of the environment variable that marks every process of one predictor run (see {@link killMarked}). */
export const PROC_TOKEN_VAR = 'MEDSEG_BENCH_PROC_TOKEN';

/**
 * Pids of live processes (not this one) whose initial environment holds `PROC_TOKEN_VAR=token`. Descendants inherit
 * the environment across fork, `setsid` and double forks, so this finds what the process tree and the process group
 * no longer reach (the cookie technique of Jenkins' ProcessTreeKiller). A process that cleared its environment
 * (`env -i`) is not found. Empty where /proc is unreadable.
 */
export function markedProcesses(token: string): number[] {
  const needle = Buffer.from(`${PROC_TOKEN_VAR}=${token}\0`, 'latin1');
  const inner = Buffer.concat([Buffer.from([0]), needle]);
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${e}/environ`);
      if (env.indexOf(needle) === 0 || env.indexOf(inner) >= 0) out.push(Number(e));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/**
 * SIGKILL every process marked with `token` (see {@link markedProcesses}), repeating while new ones appear (a process
 * may fork between the scan and the kill), at most `rounds` scans. @returns how many processes were signalled.
 */
export function killMarked(token: string, rounds = 5): number {
  let n = 0;
  for (let r = 0; r < rounds; r++) {
    const pids = markedProcesses(token);
    if (pids.length === 0) break;
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
        n++;
      } catch {
        // gone
      }
    }
  }
  return n;
}

/**
 * Sends SIGKILL to the process group `root` (the predictor is spawned detached, so it leads its own group) and to
 * every live descendant of `root` found in /proc right now (catches children that changed group). Best effort:
 * already-dead processes are ignored. Pids seen earlier are never signalled (they may have been reused).
 */
export function killTree(root: number | undefined): void {
  if (root === undefined) return;
  const live = processTree(root);
  try {
    process.kill(-root, 'SIGKILL');
  } catch {
    // group already gone
  }
  for (const p of live) {
    if (p === process.pid) continue;
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

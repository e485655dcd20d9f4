/**
 * Memory and CPU of a running container of the `docker` variant kind (./docker.ts), read from the host: its cgroup's
 * memory high-water mark and CPU usage (cgroup v1 or v2 files under /sys/fs/cgroup), and the peak summed RSS of its
 * processes from /proc (TreeMemorySampler, the `command` kind's measure).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { TreeMemorySampler } from './proctree.js';

/**
 * Memory of a running container, two ways:
 * - `cgroupPeakMb`: the container's memory cgroup high-water mark (cgroup v1 `memory.max_usage_in_bytes`, v2
 *   `memory.peak`), polled every 100 ms (the last value read is the peak; the kernel keeps it monotonic). This is what
 *   the memory limit / OOM killer acts on; it counts anonymous memory plus page cache charged to the container, so
 *   file pages already cached by an earlier container (node, onnxruntime) are NOT counted again.
 * - `treePeakRssMb`: peak summed RSS of the container's processes seen from the host /proc (TreeMemorySampler), the
 *   same measure as the `command` kind, so the two kinds compare.
 * Both undefined when unreadable (remote engine, container exited before the first sample).
 */
export class ContainerMemoryPoller {
  private file: string | undefined;
  private cpuFile: { file: string; v2: boolean } | undefined;
  /** last CPU usage read from the container's cgroup, seconds (user + system of all its processes) */
  private cpuS = NaN;
  private peak = 0;
  private timer: NodeJS.Timeout | undefined;
  private tree: TreeMemorySampler | undefined;
  private stopped = false;

  /** Starts sampling `container` (already started) once its host pid is known; unreadable sources are skipped. */
  start(container: Docker.Container): void {
    container
      .inspect()
      .then((info) => {
        if (this.stopped || !info.State?.Pid) return;
        this.tree = new TreeMemorySampler(info.State.Pid).start();
        this.file = cgroupPeakFile(info.State.Pid);
        this.cpuFile = cgroupCpuFile(info.State.Pid);
        if (!this.file && !this.cpuFile) return;
        this.read();
        this.timer = setInterval(() => this.read(), 100);
        this.timer.unref();
      })
      .catch(() => undefined);
  }

  private read(): void {
    if (this.cpuFile) {
      try {
        const text = readFileSync(this.cpuFile.file, 'latin1');
        const cpu = this.cpuFile.v2 ? Number(/^usage_usec (\d+)/m.exec(text)?.[1]) / 1e6 : Number(text.trim()) / 1e9;
        if (Number.isFinite(cpu)) this.cpuS = cpu;
      } catch {
        // cgroup removed: container exited (the last value read stands)
      }
    }
    if (!this.file) return;
    try {
      this.peak = Math.max(this.peak, Number(readFileSync(this.file, 'latin1').trim()));
    } catch {
      // cgroup removed: container exited
    }
  }

  /** Stops sampling (idempotent); @returns the peaks (MiB) and CPU seconds read, each undefined when unreadable. */
  stop(): { cgroupPeakMb?: number; treePeakRssMb?: number; cpuS?: number } {
    if (!this.stopped) this.read();
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const treePeakRssMb = this.tree?.stop();
    return { cgroupPeakMb: this.peak > 0 ? this.peak / 1048576 : undefined, treePeakRssMb, ...(Number.isFinite(this.cpuS) ? { cpuS: this.cpuS } : {}) };
  }
}

/**
 * The CPU usage file of the cgroup of host pid `pid`: cgroup v2 `cpu.stat` (`usage_usec`), v1 `cpuacct.usage` (ns).
 * Polled with the memory file; the last value read before the container exits is its CPU time (at most one poll
 * interval, 100 ms, short).
 */
function cgroupCpuFile(pid: number): { file: string; v2: boolean } | undefined {
  let lines: string[];
  try {
    lines = readFileSync(`/proc/${pid}/cgroup`, 'latin1').trim().split('\n');
  } catch {
    return undefined;
  }
  const candidates: { file: string; v2: boolean }[] = [];
  for (const line of lines) {
    const [, controllers, rel] = line.split(':');
    if (rel === undefined) continue;
    if (controllers!.split(',').includes('cpuacct')) {
      candidates.push({ file: path.join('/sys/fs/cgroup/cpuacct', rel, 'cpuacct.usage'), v2: false }, { file: path.join('/sys/fs/cgroup/cpu,cpuacct', rel, 'cpuacct.usage'), v2: false });
    }
    if (controllers === '') candidates.push({ file: path.join('/sys/fs/cgroup', rel, 'cpu.stat'), v2: true });
  }
  return candidates.find((c) => {
    try {
      return statSync(c.file).isFile();
    } catch {
      return false;
    }
  });
}

/** Path of the memory high-water-mark file of the cgroup of host pid `pid`, when readable. */
function cgroupPeakFile(pid: number): string | undefined {
  let lines: string[];
  try {
    lines = readFileSync(`/proc/${pid}/cgroup`, 'latin1').trim().split('\n');
  } catch {
    return undefined;
  }
  const candidates: string[] = [];
  for (const line of lines) {
    const [, controllers, rel] = line.split(':');
    if (rel === undefined) continue;
    if (controllers!.split(',').includes('memory')) candidates.push(path.join('/sys/fs/cgroup/memory', rel, 'memory.max_usage_in_bytes'));
    if (controllers === '') {
      candidates.push(path.join('/sys/fs/cgroup', rel, 'memory.peak'), path.join('/sys/fs/cgroup/unified', rel, 'memory.peak'));
    }
  }
  return candidates.find((f) => {
    try {
      return statSync(f).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * `docker` variant kind: runs a team's image under the challenge container protocol (../shared/docs/PROTOCOL.md,
 * `CVPR24_time_eval.py`), through dockerode talking to the local engine socket (`DOCKER_HOST`, default
 * /var/run/docker.sock). The image comes from a tag already in the engine or from a `team.tar.gz` loaded once in
 * prepare() (load time recorded, never counted); nothing is ever pulled.
 *
 * Per case: fresh `inputs/` (only that case) and empty `outputs/`, bound at /workspace/inputs (read-only unless
 * `readOnlyInputs: false`) and /workspace/outputs; a container with a unique name running `command`
 * (`/bin/sh -c "sh predict.sh"` by default), memory limit `memory` (8G default, swap disabled: MemorySwap = Memory),
 * NetworkMode none, not privileged, no-new-privileges, and NO AutoRemove: the harness waits, kills it after
 * `timeoutS`, inspects the exit code and `State.OOMKilled` (which `--rm` would hide), saves the logs, then removes it.
 * Case time = create + start + wait of the container, as the challenge timed the whole `docker container run`.
 */
import { createReadStream, promises as fsp, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { caseFailure, makeEmptyWorkDir, summarise, type CaseWorkDir, type OverheadCalibration } from './external.js';
import { ExternalRunner, type CaseLogs, type LaunchResult } from './external-runner.js';
import type { DockerVariant } from './variants.js';
import { TreeMemorySampler } from './proctree.js';
import { OomEventWatch } from './docker-oom.js';
import type { CaseRunContext } from './types.js';

/** Label put on every container the harness creates (docker-stop.sh and dispose() clean up by it). */
export const CONTAINER_LABEL = 'medseg-bench';

/**
 * Parses a docker memory size (`8G`, `512m`, `1.5g`, `1048576`, `64MiB`) into bytes; units are binary as in the docker
 * CLI (k = 1024).
 * @throws Error naming the value when it is not a positive size.
 */
export function parseMemory(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(i?b)?\s*$/i.exec(value);
  if (!m) throw new Error(`memory limit "${value}": expected a size like 8G, 512m or a byte count`);
  const pow = { '': 0, b: 0, k: 1, m: 2, g: 3, t: 4 }[m[2]!.toLowerCase() as '' | 'b' | 'k' | 'm' | 'g' | 't'];
  const bytes = Math.round(Number(m[1]) * 1024 ** pow);
  if (!(bytes > 0)) throw new Error(`memory limit "${value}": must be positive`);
  return bytes;
}

/**
 * A dockerode client for the engine named by `DOCKER_HOST` (unix:// or tcp://), else the default local socket.
 * dockerode is imported lazily: loading it costs ~0.5 s, which must not be added to every `bench` start (e.g. the
 * `bench predict` inside a timed container).
 */
export async function connectDocker(): Promise<Docker> {
  const { default: DockerCtor } = await import('dockerode');
  return new DockerCtor();
}

/**
 * Checks that the engine answers. @returns the server version string.
 * @throws Error naming DOCKER_HOST and the cause when it does not.
 */
export async function pingDocker(docker?: Docker): Promise<string> {
  try {
    docker ??= await connectDocker();
    await docker.ping();
    const v = await docker.version();
    return String(v.Version);
  } catch (e) {
    throw new Error(
      `cannot reach the Docker engine at ${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}: ${(e as Error).message} (start one with: eval "$(.ci/docker-start.sh)")`, { cause: e },
    );
  }
}

/**
 * Splits the multiplexed log stream of a non-TTY container (8-byte frame header: stream type 1 = stdout,
 * 2 = stderr, then a big-endian uint32 payload length) into stdout and stderr.
 */
export function demuxDockerLogs(buf: Buffer): { stdout: Buffer; stderr: Buffer } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const type = buf[i]!;
    const len = buf.readUInt32BE(i + 4);
    const payload = buf.subarray(i + 8, i + 8 + len);
    (type === 2 ? err : out).push(payload);
    i += 8 + len;
  }
  if (i < buf.length) out.push(buf.subarray(i));
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

/** What loading a `team.tar.gz` produced. */
export interface ImageLoadResult {
  /** Tags and/or image ids reported by the engine (`Loaded image: x` / `Loaded image ID: sha256:...`). */
  loaded: string[];
  loadTimeS: number;
}

/**
 * `docker image load -i archive` through the engine API (gzip or plain tar; the engine decompresses).
 * @throws Error naming the archive when the engine reports an error or nothing was loaded.
 */
export async function loadImageArchive(docker: Docker, archive: string): Promise<ImageLoadResult> {
  const t0 = process.hrtime.bigint();
  const stream = await docker.loadImage(createReadStream(archive), { quiet: true });
  const events: Array<{ stream?: string; error?: string; errorDetail?: { message?: string } }> = await new Promise(
    (resolve, reject) => docker.modem.followProgress(stream, (err: Error | null, res: unknown[]) => (err ? reject(err) : resolve(res as never))),
  );
  const loadTimeS = Number(process.hrtime.bigint() - t0) / 1e9;
  const errors = events.filter((e) => e.error || e.errorDetail).map((e) => e.error ?? e.errorDetail?.message);
  if (errors.length) throw new Error(`${archive}: docker image load failed: ${errors.join('; ')}`);
  const loaded: string[] = [];
  for (const e of events) {
    for (const line of (e.stream ?? '').split('\n')) {
      const m = /^Loaded image(?: ID)?: (\S+)/.exec(line.trim());
      if (m) loaded.push(m[1]!);
    }
  }
  if (!loaded.length) throw new Error(`${archive}: docker image load reported no image (engine said: ${JSON.stringify(events).slice(0, 300)})`);
  return { loaded, loadTimeS };
}

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
class ContainerMemoryPoller {
  private file: string | undefined;
  private cpuFile: { file: string; v2: boolean } | undefined;
  /** last CPU usage read from the container's cgroup, seconds (user + system of all its processes) */
  private cpuS = NaN;
  private peak = 0;
  private timer: NodeJS.Timeout | undefined;
  private tree: TreeMemorySampler | undefined;
  private stopped = false;

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

/** Result of one container run (see {@link DockerRunner.runContainer}). */
export interface ContainerRunResult {
  /** Wall seconds of create + start + wait (to the kill on timeout). */
  timeS: number;
  exitCode?: number;
  oomKilled: boolean;
  timedOut: boolean;
  /** Memory cgroup high-water mark, MiB (see ContainerMemoryPoller). */
  peakRssMb?: number;
  /** Peak summed RSS of the container's processes from the host /proc, MiB. */
  treePeakRssMb?: number;
  /** CPU seconds of the container's cgroup (user + system), when readable. */
  cpuS?: number;
  containerName: string;
  stdout: Buffer;
  stderr: Buffer;
}

/** Runner of a `docker` variant (see the module comment for the protocol). */
export class DockerRunner extends ExternalRunner<DockerVariant> {
  readonly kind = 'docker' as const;
  protected readonly subject = 'container';
  protected readonly timeoutKill = 'was killed';
  private imageRef: string | undefined;
  private readonly live = new Set<string>();
  private readonly memoryBytes: number;
  private client: Docker | undefined;

  /** @param docker a dockerode client; default: {@link connectDocker} in prepare(). */
  constructor(variant: DockerVariant, docker?: Docker) {
    super(variant);
    this.memoryBytes = parseMemory(variant.memory);
    this.client = docker;
  }

  private get docker(): Docker {
    if (!this.client) throw new Error(`variant "${this.name}": prepare() was not called`);
    return this.client;
  }

  /** The image reference containers are created from (after prepare()). */
  get image(): string {
    if (!this.imageRef) throw new Error(`variant "${this.name}": prepare() was not called`);
    return this.imageRef;
  }

  /**
   * Resolves the image: loads `imageArchive` once (timed, reported as loadTimeS, not counted in case times) or checks
   * that tag `image` is present in the local engine. Never pulls.
   * @throws Error when the engine is unreachable, the archive is missing or fails to load, or the image is absent.
   */
  async prepare(): Promise<{ loadTimeS: number; facts?: Record<string, unknown> }> {
    const v = this.variant;
    this.client ??= await connectDocker();
    const engineVersion = await pingDocker(this.client);
    let loadTimeS = 0;
    let loaded: string[] | undefined;
    if (v.imageArchive) {
      try {
        statSync(v.imageArchive);
      } catch {
        throw new Error(`variant "${v.name}": imageArchive ${v.imageArchive} not found`);
      }
      const r = await loadImageArchive(this.docker, v.imageArchive);
      loadTimeS = r.loadTimeS;
      loaded = r.loaded;
      this.imageRef = v.image ?? r.loaded.find((x) => !x.startsWith('sha256:')) ?? r.loaded[0];
    } else if (v.image) {
      this.imageRef = v.image;
    } else {
      throw new Error(`variant "${v.name}": set "image" (a tag in the local engine) or "imageArchive" (a team.tar.gz)`);
    }
    let info: Docker.ImageInspectInfo;
    try {
      info = await this.docker.getImage(this.imageRef!).inspect();
    } catch (e) {
      throw new Error(
        `variant "${v.name}": image "${this.imageRef}" is not in the local Docker engine (${(e as Error).message}); ` +
          'the harness never pulls: load it with "docker image load -i team.tar.gz" or set "imageArchive"', { cause: e },
      );
    }
    return {
      loadTimeS,
      facts: {
        image: this.imageRef,
        image_id: info.Id,
        repo_tags: info.RepoTags,
        image_size_mb: Math.round((info.Size / 1048576) * 10) / 10,
        image_archive: v.imageArchive ?? null,
        image_archive_loaded: loaded ?? null,
        image_load_time_s: v.imageArchive ? loadTimeS : null,
        engine_version: engineVersion,
        command: v.command,
        memory: v.memory,
        memory_bytes: this.memoryBytes,
        network: 'none',
        read_only_inputs: v.readOnlyInputs,
        timeout_s: v.timeoutS,
      },
    };
  }

  /**
   * Creates, starts and waits for one container on a prepared case folder; kills it after timeoutS; inspects
   * (exit code, OOMKilled), reads its logs, and removes it. Never throws for a failing predictor; throws
   * CaseRunError('engine-error') when the engine refuses (e.g. create fails).
   * @param cmd the command to run (default: the variant's).
   */
  async runContainer(dir: CaseWorkDir, caseName: string, cmd: string[] = this.variant.command): Promise<ContainerRunResult> {
    const v = this.variant;
    const suffix = randomBytes(4).toString('hex');
    const containerName = `medseg-${v.name}-${caseName}-${suffix}`.replace(/[^A-Za-z0-9_.-]/g, '_');
    const t0 = process.hrtime.bigint();
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer({
        name: containerName,
        Image: this.image,
        Cmd: cmd,
        WorkingDir: v.workdir,
        Labels: { [CONTAINER_LABEL]: '1', 'medseg-bench.variant': v.name, 'medseg-bench.case': caseName },
        NetworkDisabled: true,
        AttachStdin: false,
        AttachStdout: false,
        AttachStderr: false,
        Tty: false,
        OpenStdin: false,
        HostConfig: {
          Binds: [
            `${dir.inputs}:/workspace/inputs${v.readOnlyInputs ? ':ro' : ''}`,
            `${dir.outputs}:/workspace/outputs`,
          ],
          Memory: this.memoryBytes,
          MemorySwap: this.memoryBytes,
          NetworkMode: 'none',
          Privileged: false,
          SecurityOpt: ['no-new-privileges'],
          AutoRemove: false,
        },
      });
    } catch (e) {
      throw caseFailure('engine-error', `docker: cannot create container ${containerName}: ${(e as Error).message}`);
    }
    this.live.add(container.id);
    const oom = await OomEventWatch.open(this.docker, container.id);
    const poller = new ContainerMemoryPoller();
    let timedOut = false;
    let killedAt: bigint | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      try {
        await container.start();
      } catch (e) {
        throw caseFailure('engine-error', `docker: cannot start container ${containerName}: ${(e as Error).message}`, {
          timeS: Number(process.hrtime.bigint() - t0) / 1e9,
        });
      }
      poller.start(container);
      const waited = container.wait({ condition: 'not-running' }) as Promise<{ StatusCode?: number }>;
      timer = setTimeout(() => {
        timedOut = true;
        killedAt = process.hrtime.bigint();
        container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
      }, v.timeoutS * 1000);
      const w = await waited;
      const end = process.hrtime.bigint();
      clearTimeout(timer);
      const timeS = Number((timedOut && killedAt !== undefined ? killedAt : end) - t0) / 1e9;
      const mem = poller.stop();
      let info = await container.inspect();
      // OOM evidence is State.OOMKilled OR the engine's `oom` event (docker-oom.ts: under load the exit can be
      // processed before the OOM notification, and the flag then never turns true). A SIGKILL we did not send
      // (exit 137, no timeout) gets a short grace for either to arrive.
      if (!timedOut && info.State?.ExitCode === 137 && !info.State?.OOMKilled && !(await oom.waitFor(5000))) {
        info = await container.inspect();
      }
      const oomKilled = Boolean(info.State?.OOMKilled) || oom.seen;
      const logs = demuxDockerLogs(await container.logs({ stdout: true, stderr: true, follow: false }));
      return {
        timeS,
        exitCode: info.State?.ExitCode ?? w.StatusCode,
        oomKilled,
        timedOut,
        peakRssMb: mem.cgroupPeakMb,
        treePeakRssMb: mem.treePeakRssMb,
        ...(mem.cpuS !== undefined ? { cpuS: mem.cpuS } : {}),
        containerName,
        stdout: logs.stdout,
        stderr: logs.stderr,
      };
    } catch (e) {
      if (e instanceof Error && e.name === 'CaseRunError') throw e;
      throw caseFailure('engine-error', `docker: container ${containerName}: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
      oom.close();
      poller.stop();
      await container.remove({ force: true, v: true }).catch(() => undefined);
      this.live.delete(container.id);
    }
  }

  /**
   * Runs the image on one case (template: {@link ExternalRunner.runCase}). Case time: create + start + wait of the
   * container; failures add 'oom-killed' (exceeded `memory`; exit 137, State.OOMKilled) and 'engine-error'.
   */
  protected async launch(dir: CaseWorkDir, ctx: CaseRunContext, logs: CaseLogs): Promise<LaunchResult> {
    const v = this.variant;
    const r = await this.runContainer(dir, ctx.caseName);
    await fsp.writeFile(logs.stdout, r.stdout);
    await fsp.writeFile(logs.stderr, r.stderr);
    return {
      timeS: r.timeS,
      exitCode: r.exitCode,
      timedOut: r.timedOut,
      peakRssMb: r.peakRssMb,
      cpuS: r.cpuS,
      oomKilled: r.oomKilled,
      failure: r.oomKilled
        ? {
            kind: 'oom-killed',
            message: (logHint) =>
              `out of memory: container exceeded its memory limit ${v.memory} and was killed (exit ${r.exitCode}, OOMKilled) ${logHint}`,
          }
        : undefined,
      exitText: `exited with code ${r.exitCode}`,
      details: { container: r.containerName, image: this.image, process_tree_peak_rss_mb: r.treePeakRssMb ?? null },
      output: () => ({ stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') }),
    };
  }

  /**
   * Container start overhead: runs the variant's image `runs` times with a no-op command (`/bin/sh -c true`, or
   * `noopCommand`) under the same mounts and limits as a case, and reports the times (create + start + wait, s).
   * @throws Error when a no-op run fails (e.g. the image has no /bin/sh: pass another noopCommand).
   */
  async calibrate(runs = 5, noopCommand: string[] = ['/bin/sh', '-c', 'true']): Promise<OverheadCalibration> {
    const timesS: number[] = [];
    for (let i = 0; i < runs; i++) {
      await this.withWorkDir(
        () => makeEmptyWorkDir(this.name),
        async (dir) => {
          const r = await this.runContainer(dir, `calibrate-${i}`, noopCommand);
          if (r.exitCode !== 0) {
            throw new Error(`variant "${this.name}": no-op container ${JSON.stringify(noopCommand)} exited with ${r.exitCode}: ${r.stderr.toString().slice(0, 300)}`);
          }
          timesS.push(r.timeS);
        },
      );
    }
    return summarise('docker', this.name, noopCommand, timesS);
  }

  /** Force-removes any container of this runner still alive (e.g. after an interrupted run). */
  protected async stopAll(): Promise<void> {
    if (!this.client) return;
    for (const id of this.live) await this.docker.getContainer(id).remove({ force: true, v: true }).catch(() => undefined);
    this.live.clear();
  }
}

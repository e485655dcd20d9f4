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
 *
 * This module holds the runner ({@link DockerRunner}). Engine access (client, ping, memory sizes, logs, image load)
 * is in ./docker-engine.ts, the container's memory and CPU measurement in ./docker-memory.ts, the OOM events in
 * ./docker-oom.ts.
 */
import { promises as fsp, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { caseFailure, makeEmptyWorkDir, summarise, type CaseWorkDir, type OverheadCalibration } from './external.js';
import { ExternalRunner, type CaseLogs, type LaunchResult } from './external-runner.js';
import type { DockerVariant } from './variants.js';
import { OomEventWatch } from './docker-oom.js';
import { connectDocker, demuxDockerLogs, loadImageArchive, parseMemory, pingDocker } from './docker-engine.js';
import { ContainerMemoryPoller } from './docker-memory.js';
import type { CaseRunContext } from './types.js';

/** Label put on every container the harness creates (docker-stop.sh and dispose() clean up by it). */
export const CONTAINER_LABEL = 'medseg-bench';

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

/**
 * Docker engine access for the `docker` variant kind (./docker.ts): a dockerode client for the local engine socket
 * (`DOCKER_HOST`, default /var/run/docker.sock), an engine check, the docker CLI's memory-size syntax, the non-TTY log
 * stream demultiplexer, and `docker image load` of a `team.tar.gz` (nothing is ever pulled).
 */
import { createReadStream } from 'node:fs';
import type Docker from 'dockerode';

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

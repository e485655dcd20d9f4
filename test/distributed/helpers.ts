/**
 * Real Redis and real worker processes for the distributed tests: a private redis-server on a free port in a temp
 * folder (no persistence, a password), workers as `node bin/bench.js worker` (the built dist/, see
 * test/global-setup.ts), each with its own cache folder, and when the machine allows it (root, `ip netns`) each in its
 * own network namespace reaching Redis over a veth pair, as a separate host would.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';

export const REPO = path.resolve(import.meta.dirname, '..', '..');
export const BENCH = path.join(REPO, 'bin', 'bench.js');
export const DEMO = path.join(REPO, 'cases', 'demo');

/** redis-server binary: $MEDSEG_REDIS_SERVER, else on PATH, else null (the tests then skip LOUDLY). */
export const REDIS_SERVER: string | null = (() => {
  if (process.env.MEDSEG_REDIS_SERVER && existsSync(process.env.MEDSEG_REDIS_SERVER)) return process.env.MEDSEG_REDIS_SERVER;
  for (const d of (process.env.PATH ?? '').split(':')) if (d && existsSync(path.join(d, 'redis-server'))) return path.join(d, 'redis-server');
  for (const p of ['/usr/bin/redis-server', '/usr/sbin/redis-server']) if (existsSync(p)) return p;
  return null;
})();

if (!REDIS_SERVER) {
  process.stderr.write('\n!!! redis-server not found (install Debian\'s redis-server, or set MEDSEG_REDIS_SERVER): the distributed tests are SKIPPED\n\n');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Network namespaces as separate hosts: one per worker, a veth pair each, Redis bound on the host side. */
export class Hosts {
  readonly names: string[] = [];
  readonly hostIps: string[] = [];
  readonly links: string[] = [];
  private constructor(readonly available: boolean, readonly why: string) {}
  /** Try to create `n` namespaces; on failure `available` is false and `why` says why (workers then share the host). */
  static create(n: number): Hosts {
    const tag = `${process.pid % 100000}`;
    const h = new Hosts(true, '');
    try {
      for (let i = 0; i < n; i++) {
        const ns = `msb${tag}w${i}`;
        const hostIf = `msb${tag}h${i}`;
        const nsIf = `msb${tag}n${i}`;
        const net3 = `10.${200 + ((process.pid >> 4) % 50)}.${i}`;
        execFileSync('ip', ['netns', 'add', ns], { stdio: 'pipe' });
        h.names.push(ns);
        execFileSync('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf], { stdio: 'pipe' });
        h.links.push(hostIf);
        execFileSync('ip', ['link', 'set', nsIf, 'netns', ns], { stdio: 'pipe' });
        execFileSync('ip', ['addr', 'add', `${net3}.1/30`, 'dev', hostIf], { stdio: 'pipe' });
        execFileSync('ip', ['link', 'set', hostIf, 'up'], { stdio: 'pipe' });
        execFileSync('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `${net3}.2/30`, 'dev', nsIf], { stdio: 'pipe' });
        execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up'], { stdio: 'pipe' });
        execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'pipe' });
        h.hostIps.push(`${net3}.1`);
      }
      return h;
    } catch (e) {
      h.destroy();
      const out = new Hosts(false, `ip netns/veth not usable here (${(e as Error).message.split('\n')[0]})`);
      process.stderr.write(`\n!!! ${out.why}: the workers run as processes of this host, not in separate network namespaces\n\n`);
      return out;
    }
  }
  /** Cut (or restore) the network link of host `i`. */
  link(i: number, up: boolean): void {
    execFileSync('ip', ['link', 'set', this.links[i]!, up ? 'up' : 'down'], { stdio: 'pipe' });
  }
  destroy(): void {
    for (const l of this.links) try { execFileSync('ip', ['link', 'del', l], { stdio: 'pipe' }); } catch { /* gone with its namespace */ }
    for (const n of this.names) try { execFileSync('ip', ['netns', 'del', n], { stdio: 'pipe' }); } catch { /* already gone */ }
  }
}

/** A private redis-server: temp folder, free port, no persistence, a password. */
export class RedisServer {
  proc: ChildProcess | null = null;
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'medseg-redis-'));
  readonly password = 'test-pw-11';
  port = 0;
  /** With `tls`: the CA certificate (PEM file) that signed the server's certificate (clients: NODE_EXTRA_CA_CERTS). */
  caFile = '';
  constructor(private readonly binds: string[] = [], private readonly tls = false) {}
  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const listen = this.tls ? ['--port', '0', '--tls-port', String(this.port), ...this.tlsFiles()] : ['--port', String(this.port)];
    this.proc = spawn(REDIS_SERVER!, [...listen, '--bind', ['127.0.0.1', ...this.binds].join(' '), '--save', '', '--appendonly', 'no',
      '--dir', this.dir, '--requirepass', this.password, '--daemonize', 'no', '--logfile', path.join(this.dir, 'redis.log')], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await this.ping()) return;
      await sleep(50);
    }
    throw new Error(`redis-server did not start on port ${this.port} (see ${this.dir}/redis.log)`);
  }
  /** A throw-away CA and a server certificate for 127.0.0.1 (openssl), as redis-server's TLS options. */
  private tlsFiles(): string[] {
    const f = (n: string) => path.join(this.dir, n);
    const ssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=medseg-test-ca']);
    ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
    writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    ssl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('san.ext')]);
    this.caFile = f('ca.pem');
    return ['--tls-cert-file', f('server.pem'), '--tls-key-file', f('server.key'), '--tls-ca-cert-file', f('ca.pem'), '--tls-auth-clients', 'no'];
  }
  private async ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = net.connect(this.port, '127.0.0.1');
      s.once('connect', () => { s.end(); resolve(true); });
      s.once('error', () => resolve(false));
    });
  }
  /** Address for a client on this host, or on host `ip` (a namespace). */
  url(ip = '127.0.0.1'): string {
    return `${this.tls ? 'rediss' : 'redis'}://:${this.password}@${ip}:${this.port}`;
  }
  /** Stop hard (SIGKILL: no chance to save anything). */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const done = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await done;
  }
  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A `bench worker` process with its output collected line by line. */
export class WorkerProc {
  readonly lines: string[] = [];
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  constructor(readonly name: string, url: string, cacheDir: string, args: string[] = [], ns?: string, env: Record<string, string> = {}) {
    const argv = [BENCH, 'worker', '--queue', url, '--name', name, '--cache-dir', cacheDir, ...args];
    const [cmd, full] = ns ? ['ip', ['netns', 'exec', ns, process.execPath, ...argv]] : [process.execPath, argv];
    this.proc = spawn(cmd, full, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, detached: true });
    for (const s of [this.proc.stdout!, this.proc.stderr!]) {
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d.toString();
        const parts = buf.split('\n');
        buf = parts.pop()!;
        this.lines.push(...parts);
      });
    }
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
  }
  /** Wait until a line matches (default 60 s). */
  async waitFor(re: RegExp, timeoutMs = 60_000): Promise<string> {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      const hit = this.lines.find((l) => re.test(l));
      if (hit) return hit;
      if (this.proc.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`worker ${this.name}: no line matching ${re} within ${timeoutMs} ms; output:\n${this.lines.join('\n')}`);
  }
  count(re: RegExp): number {
    return this.lines.filter((l) => re.test(l)).length;
  }
  /** SIGKILL the worker and its children (its process group). */
  killHard(): void {
    try { process.kill(-this.proc.pid!, 'SIGKILL'); } catch { /* gone */ }
  }
  /** Stop gracefully; resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.proc.exitCode === null) this.proc.kill(signal);
    const code = await Promise.race([this.exited, sleep(60_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') {
      this.killHard();
      return null;
    }
    return code;
  }
}

/** Run `bench <args>` to its end; stdout, stderr and exit code. */
export function bench(args: string[], env: Record<string, string> = {}, timeoutMs = 300_000): Promise<{ code: number | null; stdout: string; stderr: string; proc: ChildProcess }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BENCH, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, proc });
    });
  });
}

/** A variants file of small real command predictors (test/command/fixtures/predictor.py) for the fault tests. */
export function writeFaultVariants(dir: string): string {
  const py = path.join(REPO, 'test', 'command', 'fixtures', 'predictor.py');
  const mode = (m: string) => ['python3', py, m, '{inputs}', '{outputs}'];
  const file = path.join(dir, 'variants.json');
  writeFileSync(file, JSON.stringify({
    variants: [
      { name: 'box', kind: 'command', command: mode('ok') },
      { name: 'box-slow', kind: 'command', command: ['sh', '-c', `sleep 3; exec python3 ${py} ok "$INPUTS_DIR" "$OUTPUTS_DIR"`] },
      { name: 'wrongshape', kind: 'command', command: mode('wrongshape') },
      { name: 'hang', kind: 'command', command: mode('sleep'), timeoutS: 2 },
      { name: 'engine-down', kind: 'docker', image: 'medseg-none:latest' },
    ],
  }, null, 2));
  return file;
}

/** cases.csv rows as records, every row as written (duplicates included, unlike readRun). */
export function casesCsv(dir: string): Record<string, string>[] {
  return parse<Record<string, string>>(readFileSync(path.join(dir, 'cases.csv'), 'utf8'), { columns: true });
}

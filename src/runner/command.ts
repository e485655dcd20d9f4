/**
 * `command` variant kind: runs any predictor (a Python script, a C++ binary, another harness ...) as a subprocess under
 * the challenge's folder protocol (../shared/docs/PROTOCOL.md): per case a fresh temporary `inputs/` holding only that
 * case and an empty `outputs/`; argv with `{inputs}` / `{outputs}` substituted (also env `INPUTS_DIR` / `OUTPUTS_DIR`);
 * a timeout that kills the whole process tree; stdout/stderr saved to `<logDir>/<variant>/<case>.{stdout,stderr}.log`;
 * wall time and peak resident memory of the process tree; `outputs/<case>.npz` validated and moved to `outPath`.
 *
 * Case time = spawn to exit of the predictor (copying the case in and validating the output are excluded), the
 * subprocess analogue of the challenge's timed `docker container run`.
 */
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { killMarked, killTree, PROC_TOKEN_VAR, TreeMemorySampler } from './proctree.js';
import { makeEmptyWorkDir, removeCaseWorkDir, summarise, type CaseWorkDir, type OverheadCalibration } from './external.js';
import { ExternalRunner, type CaseLogs, type LaunchResult } from './external-runner.js';
import type { CommandVariant } from './variants.js';
import type { CaseRunContext } from './types.js';

/** Result of one subprocess run (see {@link runProcessTree}). */
export interface ProcessRunResult {
  /** Wall seconds from spawn to exit (or to the kill on timeout). */
  timeS: number;
  /** Exit code; undefined when killed by a signal or when the spawn failed. */
  exitCode?: number;
  /** Signal name when the process died of a signal (e.g. `SIGKILL` after a timeout). */
  signal?: string;
  timedOut: boolean;
  /** Spawn error message (command not found, not executable ...). */
  spawnError?: string;
  /** Peak resident memory of the process tree, MiB (sampled from /proc every 50 ms plus each process's VmHWM). */
  peakRssMb?: number;
  /** Distinct processes seen in the tree. */
  processes: number;
}

/**
 * Spawns `argv` detached (its own session and process group) with a per-run marker in its environment
 * ({@link PROC_TOKEN_VAR}), samples the tree's memory, and on `timeoutS` kills the whole tree with SIGKILL: the
 * process group, the live descendants, and every process carrying the marker (setsid children, double-forked daemons).
 * The run ends when the predictor's main process EXITS, not when its stdout/stderr close (a background child holding
 * them must not hang the run): stdout/stderr are file descriptors of the given files (truncated), no pipes; stdin is
 * closed. Whatever is still alive after the exit (background children) is killed the same way; that is not a timeout.
 * `live` (optional) holds the pid and marker while the process runs, so a dispose() can kill it on an interrupt.
 * Never throws for a failing predictor: the outcome is in the result.
 */
export async function runProcessTree(
  argv: readonly string[],
  opts: {
    cwd?: string;
    env?: Record<string, string>;
    timeoutS: number;
    stdoutFile: string;
    stderrFile: string;
    live?: Map<number, string>;
  },
): Promise<ProcessRunResult> {
  const [file, ...args] = argv;
  const token = randomBytes(12).toString('hex');
  // node's spawn with the log files as plain descriptors, not execa: execa's `{ file }` stdio goes through pipes whose
  // close it awaits, which is exactly the hang when a background child keeps them open.
  const outFd = openSync(opts.stdoutFile, 'w');
  const errFd = openSync(opts.stderrFile, 'w');
  const t0 = process.hrtime.bigint();
  let child: ChildProcess;
  try {
    child = spawn(file!, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env, [PROC_TOKEN_VAR]: token },
      stdio: ['ignore', outFd, errFd],
      detached: true,
    });
  } finally {
    // the child holds its own copies
    closeSync(outFd);
    closeSync(errFd);
  }
  let spawnError: string | undefined;
  // 'exit' of the main process: never wait for the descriptors a background child may still hold
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (e) => {
      spawnError = e.message;
      resolve({ code: null, signal: null });
    });
  });
  const pid = child.pid;
  if (pid !== undefined) opts.live?.set(pid, token);
  const sampler = pid !== undefined ? new TreeMemorySampler(pid).start() : undefined;
  let timedOut = false;
  let killedAt: bigint | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    killedAt = process.hrtime.bigint();
    sampler?.sample();
    killTree(pid);
    killMarked(token);
  }, opts.timeoutS * 1000);
  const ex = await exited;
  const end = process.hrtime.bigint();
  clearTimeout(timer);
  const peakRssMb = sampler?.stop();
  // stragglers that kept running after the main process exited (background children, setsid daemons)
  if (pid !== undefined) killTree(pid);
  killMarked(token);
  if (pid !== undefined) opts.live?.delete(pid);
  const timeS = Number((timedOut && killedAt !== undefined ? killedAt : end) - t0) / 1e9;
  const exitCode = ex.code ?? undefined;
  const signal = ex.signal ?? undefined;
  const spawnFailed = pid === undefined || (exitCode === undefined && !signal && !timedOut);
  return {
    timeS,
    exitCode,
    signal,
    timedOut,
    spawnError: spawnFailed ? (spawnError ?? 'spawn failed') : undefined,
    peakRssMb,
    processes: sampler?.processCount() ?? 0,
  };
}

/** True when `cmd` names an executable file (a path, or a name found on PATH). */
function findExecutable(cmd: string, cwd: string | undefined, envPath: string | undefined): string | undefined {
  const isFile = (p: string) => {
    try {
      if (!statSync(p).isFile()) return false;
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) {
    const p = path.resolve(cwd ?? process.cwd(), cmd);
    return isFile(p) ? p : undefined;
  }
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (dir && isFile(path.join(dir, cmd))) return path.join(dir, cmd);
  }
  return undefined;
}

/**
 * Median time of `runs` no-op subprocess runs (`true` via PATH unless `noopCommand` is given), seconds, spawned through
 * the same process-tree machinery as a case (spawn to exit).
 * @throws Error when the no-op command fails.
 */
async function calibrateCommand(variant = 'command', runs = 5, noopCommand: string[] = ['true'], live?: Map<number, string>): Promise<OverheadCalibration> {
  const timesS: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = await makeEmptyWorkDir(variant);
    try {
      const r = await runProcessTree(noopCommand, {
        timeoutS: 60,
        env: { INPUTS_DIR: dir.inputs, OUTPUTS_DIR: dir.outputs },
        stdoutFile: `${dir.root}/stdout.log`,
        stderrFile: `${dir.root}/stderr.log`,
        live,
      });
      if (r.exitCode !== 0) throw new Error(`no-op command ${JSON.stringify(noopCommand)} failed: ${r.spawnError ?? `exit ${r.exitCode ?? r.signal}`}`);
      timesS.push(r.timeS);
    } finally {
      await removeCaseWorkDir(dir);
    }
  }
  return summarise('command', variant, noopCommand, timesS);
}

/** Runner of a `command` variant (see the module comment for the protocol). */
export class CommandRunner extends ExternalRunner<CommandVariant> {
  readonly kind = 'command' as const;
  protected readonly subject = 'predictor';
  protected readonly timeoutKill = 'its process tree was killed';
  /** pid -> environment marker of every predictor process tree running now (killed by dispose()). */
  private readonly live = new Map<number, string>();

  /**
   * Checks that `cwd` exists and that `command[0]` is an executable file (path or PATH lookup). Nothing to load.
   * @throws Error naming the variant and what is missing.
   */
  async prepare(): Promise<{ loadTimeS: number; facts?: Record<string, unknown> }> {
    const v = this.variant;
    if (v.cwd !== undefined) {
      let ok: boolean;
      try {
        ok = statSync(v.cwd).isDirectory();
      } catch {
        ok = false;
      }
      if (!ok) throw new Error(`variant "${v.name}": cwd ${v.cwd} is not a folder`);
    }
    const envPath = v.env?.PATH ?? process.env.PATH;
    const exe = findExecutable(v.command[0]!, v.cwd, envPath);
    if (!exe) {
      throw new Error(`variant "${v.name}": command "${v.command[0]}" is not an executable file${v.command[0]!.includes('/') ? '' : ' on PATH'}`);
    }
    return { loadTimeS: 0, facts: { command: v.command, executable: exe, cwd: v.cwd ?? null, timeout_s: v.timeoutS } };
  }

  /** No-op `true` spawned `runs` times through the same process-tree machinery ({@link calibrateCommand}). */
  calibrate(runs = 5): Promise<OverheadCalibration> {
    return calibrateCommand(this.name, runs, ['true'], this.live);
  }

  /** Case time: spawn to exit of the predictor's main process. */
  protected async launch(dir: CaseWorkDir, _ctx: CaseRunContext, logs: CaseLogs): Promise<LaunchResult> {
    const v = this.variant;
    const sub = (s: string) => s.replaceAll('{inputs}', dir.inputs).replaceAll('{outputs}', dir.outputs);
    const r = await runProcessTree(v.command.map(sub), {
      cwd: v.cwd,
      env: { ...(v.env ?? {}), INPUTS_DIR: dir.inputs, OUTPUTS_DIR: dir.outputs },
      timeoutS: v.timeoutS,
      stdoutFile: logs.stdout,
      stderrFile: logs.stderr,
      live: this.live,
    });
    const read = (f: string) => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    };
    const spawnError = r.spawnError;
    return {
      timeS: r.timeS,
      exitCode: r.exitCode,
      timedOut: r.timedOut,
      peakRssMb: r.peakRssMb,
      failure:
        spawnError !== undefined
          ? { kind: 'spawn-error', message: () => `cannot start predictor "${v.command[0]}": ${spawnError}` }
          : undefined,
      exitText: r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`,
      details: { processes: r.processes, signal: r.signal ?? null },
      output: () => ({ stdout: read(logs.stdout), stderr: read(logs.stderr) }),
    };
  }

  /** Kills every predictor process tree of this runner still running (group, descendants, marked processes). */
  protected async stopAll(): Promise<void> {
    for (const [pid, token] of this.live) {
      killTree(pid);
      killMarked(token);
    }
    this.live.clear();
  }
}

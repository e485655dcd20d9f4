/**
 * Interrupts (Ctrl-C = SIGINT, SIGTERM from a scheduler or `docker stop`) go through cleanup: whoever holds something
 * that must not outlive the process (a results folder's run.lock, a runner with predictor processes, containers or
 * temporary case folders) registers a cleanup here; on the first signal every cleanup runs (latest registered first,
 * each awaited, all within `CLEANUP_LIMIT_S`), then the process exits with 128 + the signal number (130, 143), as a
 * shell reports it. A second signal during cleanup exits at once.
 */

/** A cleanup step; may be async. Errors are reported on stderr and do not stop the other steps. */
export type Cleanup = () => void | Promise<void>;

/** Seconds the cleanups may take in total before the process exits anyway. */
export const CLEANUP_LIMIT_S = 20;

const cleanups: Cleanup[] = [];
let installed = false;
let shuttingDown = false;

const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/** Runs every registered cleanup, latest first; used by the signal handlers (exported for tests). */
export async function runCleanups(): Promise<void> {
  for (const fn of [...cleanups].reverse()) {
    try {
      await fn();
    } catch (e) {
      process.stderr.write(`cleanup after interrupt: ${(e as Error).message}\n`);
    }
  }
}

function onSignal(signal: 'SIGINT' | 'SIGTERM'): void {
  const code = SIGNAL_EXIT[signal];
  if (shuttingDown) process.exit(code);
  shuttingDown = true;
  const limit = setTimeout(() => process.exit(code), CLEANUP_LIMIT_S * 1000);
  limit.unref();
  void runCleanups().finally(() => process.exit(code));
}

/**
 * Register `fn` to run on SIGINT / SIGTERM before the process exits (installs the handlers on first use).
 * @returns a function that unregisters it (call it when the resource is released normally).
 */
export function onShutdown(fn: Cleanup): () => void {
  if (!installed) {
    installed = true;
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  }
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

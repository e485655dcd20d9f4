/**
 * The one rule for onnxruntime intra-op thread counts (CLI `--threads`, a variant's `threads`, the runner): a positive
 * integer at most MAX_THREADS. More threads than 4x the machine's logical CPUs never speed up a CPU-bound session and
 * cost memory per thread (`--threads 100000` grew to 5 GB RSS); 0 or a fraction made every case fail.
 */
import os from 'node:os';

/** Largest accepted intra-op thread count: 4 x logical CPUs, at least 4. */
export const MAX_THREADS = Math.max(4, 4 * os.availableParallelism());

/**
 * Why `n` is not an acceptable thread count, or null when it is.
 * @returns e.g. "expected a positive integer at most 8"
 */
export function checkThreads(n: number): string | null {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) return `expected a positive integer at most ${MAX_THREADS} (4 x ${os.availableParallelism()} logical CPUs)`;
  return null;
}

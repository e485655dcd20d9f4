/**
 * `bench worker`: take case jobs of `bench run --queue` from a BullMQ queue on Redis and run them on this machine
 * (docs/distributed.md). Exit 0 after SIGTERM/SIGINT, 3 when Redis cannot be reached at start, 2 on usage errors.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_VARIANTS_FILE } from '../runner/variants.js';
import { intOption } from './parse/numbers.js';

/** Register `bench worker` on the `bench` program (src/cli/main.ts). */
export function register(program: Command): void {
  program
    .command('worker')
    .description('run the jobs of "bench run --queue" on this machine (one job at a time by default), until SIGTERM/SIGINT')
    .option('--queue [url]', 'Redis address redis://[user:password@]HOST:PORT[/DB] or rediss://... (default $MEDSEG_REDIS_URL)')
    .option('--queue-name <name>', 'BullMQ queue name (the coordinator\'s --queue-name)', 'medseg-bench')
    .option('--name <id>', 'worker name recorded in every row (default <hostname>-<pid>)')
    .option('--concurrency <n>', 'jobs at once (1 on a timing host: two cases timed at once disturb each other)', intOption('--concurrency', 1), 1)
    .option('--cache-dir <dir>', 'where received case and model files (by sha256) and work files go (default ~/.cache/medseg-bench)')
    .option('--variants-file <file...>', 'the variant definitions this worker runs (a job names variants, never commands or images)', [DEFAULT_VARIANTS_FILE])
    .option('--variants <list>', 'only these variants of the file(s), comma-separated')
    .option('--lock-duration <ms>', 'job lock duration in ms (renewed every half while a job runs)', intOption('--lock-duration', 1), 30000)
    .option('--stalled-interval <ms>', 'ms between checks for jobs of vanished workers', intOption('--stalled-interval', 1), 30000)
    .action(async (opts) => {
      const { runWorker, WorkerStartError } = await import('../distributed/worker.js');
      try {
        await runWorker({
          url: opts.queue === true ? undefined : opts.queue, queueName: opts.queueName, name: opts.name, concurrency: opts.concurrency,
          cacheDir: opts.cacheDir, variantsFiles: (opts.variantsFile as string[]).map((f) => path.resolve(f)), variants: opts.variants,
          lockDurationMs: opts.lockDuration, stalledIntervalMs: opts.stalledInterval,
        });
        process.exit(0);
      } catch (e) {
        if (e instanceof WorkerStartError) {
          console.error(`bench worker: ${e.message}`);
          process.exit(3);
        }
        throw e;
      }
    });
}

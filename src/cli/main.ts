/** Entry point of the `bench` CLI (commander). Each sub-command registers itself from its own module. */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { register as registerCases } from './cases.js';
import { register as registerMetrics } from './metrics.js';
import { register as registerPredict } from './predict.js';
import { register as registerRun } from './run.js';
import { register as registerReport } from './report.js';
import { register as registerGate } from './gate.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
const program = new Command();
program
  .name('bench')
  .version(pkg.version)
  .description('medseg-bench: evaluation and benchmark harness for box-prompted medical image segmentation (LiteMedSAM-style)')
  .showHelpAfterError('(run with --help for usage)')
  // usage errors (unknown option, missing argument, invalid value) exit 2, like every other usage error of bench
  .exitOverride();
registerCases(program);
registerMetrics(program);
registerPredict(program);
registerRun(program);
registerReport(program);
registerGate(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // commander already printed its message (or the help / version text)
    const ok = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
    process.exit(ok ? 0 : 2);
  }
  // Usage and data errors thrown by a sub-command: one clear line, exit 2 (no stack trace unless BENCH_DEBUG=1).
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  if (process.env.BENCH_DEBUG && e instanceof Error) console.error(e.stack);
  process.exitCode = 2;
}

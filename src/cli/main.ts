/** Entry point of the `bench` CLI (commander). Each sub-command lives in its own module under src/cli. */
import { Command } from 'commander';

const program = new Command();
program.name('bench').description('medseg-bench: evaluation and benchmark harness for box-prompted medical image segmentation');
await program.parseAsync(process.argv);

/**
 * Entry point of the `bench` CLI (commander). Only the module of the sub-command being run is imported (see
 * ./commands.ts, where every command is listed): `bench --version` and `bench --help` import none of them.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError, Help } from 'commander';
import { COMMANDS, type CommandEntry } from './commands.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
const program = new Command();
program
  .name('bench')
  .version(pkg.version)
  .description('medseg-bench: evaluation and benchmark harness for box-prompted medical image segmentation (LiteMedSAM-style)')
  .showHelpAfterError('(run with --help for usage)')
  // usage errors (unknown option, missing argument, invalid value) exit 2, like every other usage error of bench
  .exitOverride();

/**
 * The command named on the command line: the first operand (bench's own options --version/--help take no value), or
 * for `bench help <name>` the name after `help`.
 */
function invokedCommand(argv: readonly string[]): CommandEntry | undefined {
  const operands = argv.slice(2).filter((a) => !a.startsWith('-'));
  const name = operands[0] === 'help' ? operands[1] : operands[0];
  return COMMANDS.find((c) => c.name === name);
}

const invoked = invokedCommand(process.argv);
try {
  for (const entry of COMMANDS) {
    if (entry === invoked) {
      (await entry.load()).register(program);
      program.commands.at(-1)?.summary(entry.summary);
    } else {
      // a placeholder for `bench --help` and for commander's "unknown command" suggestions; never run
      program.command(entry.name).summary(entry.summary);
    }
  }
  const terms = new Map(COMMANDS.map((c) => [c.name, c.term]));
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? Help.prototype.subcommandTerm.call(program.createHelp(), cmd) });
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

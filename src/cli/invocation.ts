/**
 * How the user started `bench`, so that a printed hint ("finish the run with: ...") works when typed as shown.
 */
import path from 'node:path';
import { quote } from 'shell-quote';

/**
 * The words that start `bench` the way the user did:
 * - through npx / `npm exec` (npm sets `npm_command=exec`) or an npm script (`npm_lifecycle_event`): `npx bench`;
 * - through a `bench` on the PATH (argv[1] is the link, named `bench`): `bench`;
 * - otherwise `node <script>`, the script path relative to the working folder when it lies under it.
 * @param env the environment (default process.env); @param argv the process arguments (default process.argv)
 */
export function benchInvocation(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv): string[] {
  if (env.npm_command === 'exec' || env.npm_lifecycle_event) return ['npx', 'bench'];
  const script = argv[1] ?? '';
  const base = path.basename(script);
  if (base === 'bench' || base === 'bench.cmd') return ['bench'];
  if (!script) return ['npx', 'bench'];
  const rel = path.relative(process.cwd(), script);
  return ['node', rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : script];
}

/** A command line as a POSIX shell reads it back (arguments quoted where needed). */
export function shellLine(words: string[]): string {
  return quote(words);
}

// Bundles the CLI for start-up speed (run by `npm run build` after tsc). node then loads a few files per command
// instead of ~40 ES modules: `bench metrics` on a 200x512x512 case as a whole process, 21 interleaved runs each:
// compiled modules 0.223 s, one shared-chunk bundle 0.209 s, the metrics command in one file 0.200 s.
//
// dist/bundle/ holds:
// - main.js: the CLI entry (bin/bench.js runs it; dist/cli/main.js when the bundle is missing), with every command but
//   `metrics`, and processor.js (the distributed worker's sandboxed processor), in chunks they share (one module, one
//   instance: `instanceof` holds across them);
// - metrics-command.js: `bench metrics`, the command organizers run on every scoring, in one self-contained file; and
//   worker.js, the metrics pool's thread entry, likewise (a thread is an isolate of its own).
// Every file sits directly in dist/bundle/, as the compiled modules sit in dist/<folder>/: paths the sources resolve from
// their own location (`new URL('./worker.js', import.meta.url)`, the repository root two levels up) resolve the same
// way from a bundle file. npm packages stay outside (resolved from node_modules as before). The compiled modules in
// dist/ stay for the library API and the tests.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'bundle');
const common = {
  absWorkingDir: root,
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  entryNames: '[name]',
  sourcemap: 'linked',
  logLevel: 'warning',
};
// main.js loads the metrics command from its own file
const metricsApart = {
  name: 'metrics-command-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/metrics\.js$/ }, (a) => (a.importer.endsWith(path.join('src', 'cli', 'commands.ts')) ? { path: './metrics-command.js', external: true } : undefined));
  },
};
rmSync(outdir, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { main: 'src/cli/main.ts', processor: 'src/distributed/processor.ts' },
  splitting: true,
  chunkNames: 'chunk-[hash]',
  plugins: [metricsApart],
});
await build({ ...common, entryPoints: { 'metrics-command': 'src/cli/metrics.ts', worker: 'src/metrics/worker.ts' } });

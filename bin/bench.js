#!/usr/bin/env node
// The `bench` executable: runs the bundled CLI (dist/bundle/main.js, a few files: starts sooner), else the compiled
// modules (dist/cli/main.js). npm ci builds both through the `prepare` script (scripts/bundle.mjs).
// BENCH_UNBUNDLED=1 runs the compiled modules (test/cli/lazy-load.test.ts traces them module by module).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

// stack traces (BENCH_DEBUG=1 prints them) name the source files, not the bundle's lines
if (process.env.BENCH_DEBUG) process.setSourceMapsEnabled(true);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundled = path.join(root, 'dist', 'bundle', 'main.js');
const main = existsSync(bundled) && process.env.BENCH_UNBUNDLED !== '1' ? bundled : path.join(root, 'dist', 'cli', 'main.js');
if (!existsSync(main)) {
  console.error(`medseg-bench is not built (${main} missing): run "npm ci" or "npm run build" in ${root}`);
  process.exit(2);
}
await import(main);

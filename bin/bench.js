#!/usr/bin/env node
// The `bench` executable: runs the compiled CLI (npm ci builds dist/ through the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const main = path.join(root, 'dist', 'cli', 'main.js');
if (!existsSync(main)) {
  console.error(`medseg-bench is not built (${main} missing): run "npm ci" or "npm run build" in ${root}`);
  process.exit(2);
}
await import(main);

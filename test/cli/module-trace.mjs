// Preloaded with `node --import` by test/cli/lazy-load.test.ts: appends every module the process resolves (ESM through
// a module.register resolve hook, CommonJS through Module._resolveFilename) to the file named by BENCH_MODULE_TRACE,
// one URL or path per line.
import Module, { register } from 'node:module';
import { appendFileSync } from 'node:fs';

const out = process.env.BENCH_MODULE_TRACE;
if (!out) throw new Error('module-trace.mjs: set BENCH_MODULE_TRACE to the file to append to');
register(
  'data:text/javascript,' +
    encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(out)}, r.url + '\\n');
  return r;
}`),
);
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const r = resolveFilename.apply(this, args);
  appendFileSync(out, r + '\n');
  return r;
};

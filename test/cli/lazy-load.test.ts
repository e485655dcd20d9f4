/**
 * The CLI imports only the invoked sub-command's modules (src/cli/commands.ts + main.ts): `bench --version` and
 * `bench --help` import no command module, `bench metrics` imports no ONNX, Docker or chart code. Each process runs
 * with a resolve hook (module-trace.mjs) that records every module it loads; a positive control (`bench report`
 * drawing PNG charts, `bench predict --help`) shows the hook does see the heavy packages, so a static import of one
 * of them anywhere on the metrics path makes this test fail.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Command, Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { benchSync, DEMO, FIXTURE, testTempDir } from '../bench-cli.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { readNpz } from '../../src/io/npz.js';
import { writeSegs } from '../../src/io/segs.js';

const TRACE = path.join(import.meta.dirname, 'module-trace.mjs');
const DEMO_GTS = path.join(DEMO, 'gts');
const HEAVY = ['onnxruntime-node', 'onnxruntime-common', 'dockerode', 'chart.js', '@napi-rs/canvas', 'execa', 'bullmq', 'playwright-core'];

const tmp = testTempDir('medseg-lazy-load-');

/**
 * Runs `bench <args>` with the module trace; returns exit status, stdout and the loaded modules. `bundled`: as a user
 * runs it (dist/bundle/, scripts/bundle.mjs: module files are chunks, only packages can be told apart); else the
 * compiled modules one by one (BENCH_UNBUNDLED=1), where each command is its own dist/cli/<name>.js.
 */
function traced(args: string[], bundled = false): { status: number | null; stdout: string; stderr: string; modules: string[] } {
  const file = path.join(tmp, `trace-${Math.random().toString(36).slice(2)}.txt`);
  const r = benchSync(args, { nodeArgs: ['--import', TRACE], env: { BENCH_MODULE_TRACE: file, BENCH_UNBUNDLED: bundled ? undefined : '1' } });
  const modules = existsSync(file) ? [...new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean))] : [];
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, modules };
}

/** The npm packages among loaded modules (by their node_modules folder). */
function packages(modules: string[]): string[] {
  const names = modules.flatMap((m) => {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(m)?.[1];
    return name ? [name] : [];
  });
  return [...new Set(names)].sort();
}

/** The checkout's own .js files among loaded modules (paths from the checkout's root), sorted. */
function ownFiles(modules: string[]): string[] {
  const root = path.resolve(import.meta.dirname, '..', '..') + path.sep;
  const files = modules.flatMap((m) => {
    const file = m.startsWith('file://') ? new URL(m).pathname : m;
    return file.startsWith(root) && file.endsWith('.js') && !file.includes(`${path.sep}node_modules${path.sep}`) ? [file.slice(root.length)] : [];
  });
  return [...new Set(files)].sort();
}

/** The compiled CLI command modules (dist/cli/<name>.js) among loaded modules. */
function commandModules(modules: string[]): string[] {
  const names = modules.flatMap((m) => {
    const name = /dist\/cli\/([^/]+)\.js$/.exec(m)?.[1];
    return name && name !== 'main' && name !== 'commands' ? [name] : [];
  });
  return [...new Set(names)].sort();
}

describe('bench loads only the invoked command', () => {
  it('--version and --help load no command module and only commander (bundled: main.js alone)', () => {
    for (const args of [['--version'], ['--help']]) {
      const r = traced(args);
      expect(r.status, r.stderr).toBe(0);
      expect(r.modules.length, 'the trace hook recorded nothing').toBeGreaterThan(0);
      expect(commandModules(r.modules)).toEqual([]);
      expect(packages(r.modules)).toEqual(['commander']);
      const b = traced(args, true);
      expect(b.status, b.stderr).toBe(0);
      expect(packages(b.modules)).toEqual(['commander']);
      expect(ownFiles(b.modules)).toEqual(['bin/bench.js', 'dist/bundle/main.js']);
    }
  });

  it('--help still lists every command', () => {
    const r = traced(['--help']);
    for (const c of COMMANDS) expect(r.stdout).toContain(c.term);
  });

  it('bench metrics loads no ONNX, Docker or chart code (on real demo cases)', async () => {
    const gts = path.join(tmp, 'gts');
    const segs = path.join(tmp, 'segs');
    mkdirSync(gts);
    mkdirSync(segs);
    for (const f of readdirSync(DEMO_GTS).filter((n) => n.startsWith('2DBox_')).slice(0, 2)) {
      const g = (await readNpz(path.join(DEMO_GTS, f), ['gts'])).gts!;
      await writeSegs(path.join(segs, f), g);
      copyFileSync(path.join(DEMO_GTS, f), path.join(gts, f));
    }
    const r = traced(['metrics', '--gts', gts, '--segs', segs, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('case,dsc,nsd');
    expect(r.stdout).toContain(',1.0,1.0');
    expect(commandModules(r.modules)).toEqual(['metrics']);
    const loaded = packages(r.modules);
    for (const p of HEAVY) expect(loaded, `bench metrics loaded ${p}`).not.toContain(p);
    // as users run it: the bundle's self-contained metrics command, the same CSV, no heavy package either
    const b = traced(['metrics', '--gts', gts, '--segs', segs, '--quiet'], true);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toBe(r.stdout);
    expect(ownFiles(b.modules)).toEqual(['bin/bench.js', 'dist/bundle/main.js', 'dist/bundle/metrics-command.js']);
    for (const p of HEAVY) expect(packages(b.modules), `bundled bench metrics loaded ${p}`).not.toContain(p);
  });

  it('positive control: the trace sees onnxruntime-node, chart.js and canvas when a command uses them', () => {
    const predict = traced(['predict', '--help']);
    expect(predict.status, predict.stderr).toBe(0);
    expect(commandModules(predict.modules)).toEqual(['predict']);
    expect(packages(predict.modules)).toContain('onnxruntime-node');
    for (const bundled of [false, true]) {
      const out = path.join(tmp, `report-${bundled}`);
      const report = traced(['report', FIXTURE, '--out', out, '--formats', 'png', '--quiet'], bundled);
      expect(report.status, report.stderr).toBe(0);
      expect(packages(report.modules)).toEqual(expect.arrayContaining(['chart.js', '@napi-rs/canvas']));
      // and not when it draws no chart
      const md = traced(['report', FIXTURE, '--out', path.join(tmp, `md-${bundled}`), '--formats', 'md', '--quiet'], bundled);
      expect(md.status, md.stderr).toBe(0);
      expect(packages(md.modules)).not.toContain('chart.js');
    }
  });
});

describe('the command table (src/cli/commands.ts) matches the command modules', () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))('%s: name and --help term are what its module registers', async (_name, entry) => {
    const program = new Command();
    (await entry.load()).register(program);
    expect(program.commands.map((c) => c.name())).toEqual([entry.name]);
    expect(new Help().subcommandTerm(program.commands[0]!)).toBe(entry.term);
    expect(entry.summary.length).toBeLessThanOrEqual(120);
  });
});

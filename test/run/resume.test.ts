/** --resume option merging (src/run/resume.ts) and the command a hint prints (src/cli/invocation.ts). */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeResumeOptions, type RunIdentity } from '../../src/run/resume.js';
import { benchInvocation, shellLine } from '../../src/cli/invocation.js';

const stored: RunIdentity = {
  casesDir: '/data/cases', variants: ['oracle', 'aug-int8'], variantsFile: null, filter: '2DBox_*', repeat: 3, warmup: 1,
  mode: 'official', spacingOrder: 'as-stored', threads: 2, embeddingCache: true, memoryArena: false, order: 'interleaved',
};

describe('mergeResumeOptions', () => {
  it('takes every option not given from the stored run', () => {
    expect(mergeResumeOptions(stored, {}, 'r/run.json')).toEqual(stored);
  });
  it('accepts the same values given again', () => {
    expect(mergeResumeOptions(stored, { filter: '2DBox_*', repeat: 3, casesDir: '/data/cases/', variants: ['oracle', 'aug-int8'] }, 'r/run.json')).toEqual(stored);
  });
  it('refuses a different value, naming each difference', () => {
    expect(() => mergeResumeOptions(stored, { filter: '2DBox_*,3DBox_*', repeat: 1, embeddingCache: false, memoryArena: true, variants: ['oracle'] }, 'r/run.json')).toThrow(
      'r/run.json was started with --variants oracle,aug-int8, not oracle; --filter "2DBox_*", not "2DBox_*,3DBox_*"; --repeat 3, not 1; --embedding-cache on, not off; --memory-arena off, not on',
    );
    expect(() => mergeResumeOptions({ ...stored, filter: null }, { filter: 'CT' }, 'r/run.json')).toThrow('--filter (none), not "CT"');
  });
  it('a variants file given for a run that did not store one is taken', () => {
    expect(mergeResumeOptions(stored, { variantsFile: 'v.json' }, 'r').variantsFile).toBe(path.resolve('v.json'));
  });
});

describe('benchInvocation: the hint works as typed', () => {
  it('npx / npm exec and npm scripts give "npx bench"', () => {
    expect(benchInvocation({ npm_command: 'exec' }, ['node', '/x/node_modules/.bin/bench'])).toEqual(['npx', 'bench']);
    expect(benchInvocation({ npm_lifecycle_event: 'demo' }, ['node', '/repo/bin/bench.js'])).toEqual(['npx', 'bench']);
  });
  it('a bench on the PATH gives "bench"; a script run with node gives node and its path', () => {
    expect(benchInvocation({}, ['node', '/usr/local/bin/bench'])).toEqual(['bench']);
    expect(benchInvocation({}, ['node', path.join(process.cwd(), 'bin', 'bench.js')])).toEqual(['node', path.join('bin', 'bench.js')]);
    expect(benchInvocation({}, ['node', '/elsewhere/bin/bench.js'])).toEqual(['node', '/elsewhere/bin/bench.js']);
  });
  it('shellLine quotes what the shell would split', () => {
    expect(shellLine(['npx', 'bench', 'run', '--out', '/tmp/my results', '--resume'])).toBe("npx bench run --out '/tmp/my results' --resume");
  });
});

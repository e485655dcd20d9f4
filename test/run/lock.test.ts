/**
 * run.lock records pid + process start time (/proc/<pid>/stat field 22): a lock whose pid was reused by an unrelated
 * live process is stale and taken over; a lock held by the live process that wrote it still refuses a second run.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processStartTime, RunStore } from '../../src/results/store.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'medseg-lock-test-'));
const other = spawn('sleep', ['60'], { stdio: 'ignore' });
afterAll(() => {
  other.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(process.platform !== 'linux')('run.lock', () => {
  it('records pid and start time', () => {
    const store = new RunStore(path.join(tmp, 'a'));
    freshDir(store.dir);
    store.lock();
    expect(readFileSync(path.join(store.dir, 'run.lock'), 'utf8')).toBe(`${process.pid} ${processStartTime(process.pid)}`);
    store.unlock();
  });

  it('a lock whose pid now belongs to another process (reused pid) is taken over', () => {
    const store = new RunStore(path.join(tmp, 'b'));
    freshDir(store.dir);
    const start = processStartTime(other.pid!);
    expect(start).toMatch(/^\d+$/);
    // the recorded owner started at another time than the live process now holding that pid
    writeFileSync(path.join(store.dir, 'run.lock'), `${other.pid} ${Number(start) - 1}`);
    expect(() => store.lock()).not.toThrow();
    expect(readFileSync(path.join(store.dir, 'run.lock'), 'utf8')).toBe(`${process.pid} ${processStartTime(process.pid)}`);
    store.unlock();
  });

  it('a lock held by the live process that wrote it still refuses a second run', () => {
    const store = new RunStore(path.join(tmp, 'c'));
    freshDir(store.dir);
    writeFileSync(path.join(store.dir, 'run.lock'), `${other.pid} ${processStartTime(other.pid!)}`);
    expect(() => store.lock()).toThrow(new RegExp(`another "bench run" \\(pid ${other.pid}\\) is writing this results folder`));
  });
});

function freshDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}

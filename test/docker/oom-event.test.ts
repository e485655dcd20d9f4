/**
 * OOM evidence from the engine's event stream (src/runner/docker-oom.ts) on a REAL engine: a container that grows
 * past its memory limit publishes an `oom` event that the watch sees; a container that exits normally publishes none.
 * (State.OOMKilled can stay false when the engine processes the exit before the OOM notification, which happened in
 * CI under load; the runner counts either signal.) Skipped LOUDLY when no engine answers.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { connectDocker } from '../../src/runner/docker-engine.js';
import { OomEventWatch } from '../../src/runner/docker-oom.js';
import { buildImage, probeEngine, warnSkipped } from './engine.js';

const engine = await probeEngine();
if (!engine.ok) warnSkipped('oom-event.test.ts', engine.reason);
const suite = engine.ok ? describe : describe.skip;
const TAG = 'medseg-fault:oom-event';

async function runWatched(cmd: string[]): Promise<{ exitCode: number | undefined; watch: OomEventWatch }> {
  const docker = await connectDocker();
  const c = await docker.createContainer({
    Image: TAG,
    Cmd: cmd,
    NetworkDisabled: true,
    Labels: { 'medseg-bench': '1' },
    HostConfig: { Memory: 32 * 1048576, MemorySwap: 32 * 1048576, NetworkMode: 'none' },
  });
  const watch = await OomEventWatch.open(docker, c.id);
  try {
    await c.start();
    const w = (await c.wait({ condition: 'not-running' })) as { StatusCode?: number };
    return { exitCode: w.StatusCode, watch };
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

suite(engine.ok ? `oom event watch on a real engine (${engine.version})` : `oom event watch — SKIPPED: ${engine.reason}`, () => {
  beforeAll(async () => {
    await buildImage('build-fault-image.sh', [TAG]);
  });

  it('sees the oom event of a container killed at its memory limit', async () => {
    const { exitCode, watch } = await runWatched(['tail', '/dev/zero']);
    expect(exitCode).toBe(137);
    expect(await watch.waitFor(10_000)).toBe(true);
    expect(watch.seen).toBe(true);
    watch.close();
  });

  it('sees nothing for a container that exits normally', async () => {
    const { exitCode, watch } = await runWatched(['/bin/sh', '-c', 'exit 0']);
    expect(exitCode).toBe(0);
    expect(await watch.waitFor(500)).toBe(false);
    expect(watch.seen).toBe(false);
    watch.close();
  });
});

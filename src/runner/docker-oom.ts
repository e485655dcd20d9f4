/**
 * Out-of-memory evidence for one container, from the engine's event stream.
 *
 * `State.OOMKilled` alone is not reliable: Docker 20.10 copies the OOM flag into the container state only when
 * containerd's TaskOOM event is processed BEFORE its TaskExit event (moby libcontainerd/remote/client.go,
 * daemon/monitor.go); the two come from different watchers in the shim (the cgroup OOM notifier and the process
 * reaper), so under load the exit can win and the flag then stays false for ever. The engine still publishes the
 * container's `oom` event in that order, so the harness watches the event stream as well and counts either signal.
 */
import type Docker from 'dockerode';

/** A subscription to the `oom` events of one container; open it before the container starts. */
export class OomEventWatch {
  private seenOom = false;
  private waiters: Array<() => void> = [];

  private constructor(private readonly stream: NodeJS.ReadableStream | undefined) {
    stream?.on('data', () => {
      this.seenOom = true;
      for (const w of this.waiters.splice(0)) w();
    });
    stream?.on('error', () => undefined);
  }

  /**
   * Subscribes to the engine's `oom` events for container `id` (GET /events with filters container=id, event=oom).
   * Never throws: when the engine refuses the subscription the watch reports nothing and State.OOMKilled alone decides.
   */
  static async open(docker: Docker, id: string): Promise<OomEventWatch> {
    try {
      const stream = await docker.getEvents({ filters: { type: ['container'], container: [id], event: ['oom'] } });
      return new OomEventWatch(stream);
    } catch {
      return new OomEventWatch(undefined);
    }
  }

  /** True once the engine published an `oom` event for the container. */
  get seen(): boolean {
    return this.seenOom;
  }

  /** Resolves true as soon as an `oom` event has arrived, or false after `ms` milliseconds without one. */
  async waitFor(ms: number): Promise<boolean> {
    if (this.seenOom) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.seenOom), ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Ends the subscription (closes the HTTP stream). */
  close(): void {
    const s: (NodeJS.ReadableStream & { destroy?: () => void }) | undefined = this.stream;
    s?.removeAllListeners('data');
    s?.destroy?.();
  }
}

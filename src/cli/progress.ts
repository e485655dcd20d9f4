/**
 * Progress of `bench run` on stderr: on a terminal one line redrawn every second (cases done, variant, case, the
 * running case's time against its estimate, elapsed, ETA), fitted to the terminal width by shortening the case name,
 * never the times; elsewhere (CI, a pipe) one line per finished case. The ETA comes from {@link EtaEstimator}.
 * `BENCH_ETA_TRACE=<file>` appends `elapsed_s,eta_s,done,total,variant,case` every second (to check the ETA).
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { RunEvent } from '../run/orchestrate.js';
import { EtaEstimator } from '../run/eta.js';
import { timingWarningText, type TimingWarning } from '../stats/warnings.js';
import { formatFixed } from '../text/numbers.js';
import { colours } from './colour.js';

/** Duration as a person reads it: `42s`, `6m10s`, `1h02m`; `?` when unknown. */
export function formatDuration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '?';
  const t = Math.max(0, Math.round(s));
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
}

/** Shorten a name to `width` characters, keeping its start and its end (`3DBox…_0001`). */
export function shorten(name: string, width: number): string {
  if (name.length <= width) return name;
  if (width <= 1) return name.slice(0, Math.max(width, 0));
  const tail = Math.ceil((width - 1) / 2);
  return `${name.slice(0, width - 1 - tail)}\u2026${name.slice(name.length - tail)}`;
}

/** State shown on the progress line. */
export interface ProgressState {
  done: number;
  total: number;
  variant: string;
  caseName: string;
  /** the running case: seconds so far and the estimate (null: unknown) */
  caseElapsed: number | null;
  caseEstimate: number | null;
  elapsed: number;
  eta: number | null;
  /** the ETA borrows the rate of another variant for a variant that has not finished a case yet (shown with `?`) */
  provisional?: boolean;
}

/**
 * The progress line within `width` columns: `[####----] 3/45 aug-int8 3DBox_CT_0001  case 12s/~1m15s  elapsed
 * 3m02s  ETA ~6m10s`. The bar shrinks, then goes; then the case name is shortened (to 6 characters at least); the
 * times always stay whole.
 */
export function progressLine(p: ProgressState, width: number): string {
  const caseTime = p.caseElapsed === null ? '' : `  case ${formatDuration(p.caseElapsed)}/~${formatDuration(p.caseEstimate)}`;
  const right = `${caseTime}  elapsed ${formatDuration(p.elapsed)}  ETA ${p.eta === null ? '?' : `~${formatDuration(p.eta)}${p.provisional ? '?' : ''}`}`;
  const count = `${p.done}/${p.total}`;
  const fixed = count.length + 1 + p.variant.length + 1 + right.length;
  const room = width - 1 - fixed; // keep the last column free (no wrap on terminals that wrap at the edge)
  let bar = '';
  let nameRoom = room;
  const barWidth = room - p.caseName.length >= 24 ? 20 : room - p.caseName.length >= 14 ? 10 : 0;
  if (barWidth > 0) {
    const filled = p.total > 0 ? Math.round((barWidth * p.done) / p.total) : 0;
    bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] `;
    nameRoom -= bar.length;
  }
  const name = shorten(p.caseName, Math.max(nameRoom, 6));
  return `${bar}${count} ${p.variant} ${name}${right}`;
}

/** Handler of run events that draws progress; `stop()` ends it (clears the timer). */
export function progressHandler(): { onEvent: (e: RunEvent) => void; stop: () => void } {
  const tty = !!process.stderr.isTTY && !process.env.CI;
  const c = colours(process.stderr);
  const t0 = performance.now() / 1e3;
  const now = () => performance.now() / 1e3;
  let eta: EtaEstimator | null = null;
  let done = 0;
  let total = 0;
  let caseStart = 0;
  let current = { variant: '', caseName: '' };
  const trace = process.env.BENCH_ETA_TRACE;
  if (trace) writeFileSync(trace, 'elapsed_s,eta_s,done,total,variant,case\n');
  const state = (): ProgressState => {
    const cur = eta?.currentCase() ?? null;
    return {
      done, total, variant: current.variant, caseName: current.caseName,
      caseElapsed: cur ? cur.elapsed : null, caseEstimate: cur ? cur.estimate : null,
      elapsed: now() - t0, eta: eta ? eta.remaining() : null, provisional: eta?.provisional() ?? false,
    };
  };
  const traceTimer = trace
    ? setInterval(() => {
        const s = state();
        appendFileSync(trace, `${s.elapsed.toFixed(1)},${s.eta === null ? '' : s.eta.toFixed(1)},${s.done},${s.total},${s.variant},${s.caseName}\n`);
      }, 1000)
    : null;
  traceTimer?.unref();
  const elapsedTag = () => `[${formatDuration(now() - t0)}]`;
  const onEta = (e: RunEvent) => {
    if (e.type === 'plan') {
      eta = new EtaEstimator(e.tasks);
      total = e.tasks.length;
    } else if (e.type === 'case-start') {
      current = { variant: e.variant, caseName: e.case };
      caseStart = now();
      eta?.start(e.variant, e.case);
    } else if (e.type === 'case-done') {
      done++;
      eta?.finish(e.variant, e.row.case, now() - caseStart);
    }
  };
  // a warning kind in full the first time, then a short tag (the contention sentence is long and can hit every case)
  const seenKinds = new Set<string>();
  const warningOnce = (w: TimingWarning): string => {
    if (!seenKinds.has(w.kind)) {
      seenKinds.add(w.kind);
      return timingWarningText(w);
    }
    return w.kind === 'contention' ? `contention ${(100 * w.other_cpu_share).toFixed(0)}%` : w.kind;
  };
  if (!tty) {
    return {
      onEvent: (e) => {
        onEta(e);
        if (e.type === 'variant-ready') console.error(`${elapsedTag()} ${e.variant}: loaded in ${e.loadTimeS.toFixed(2)} s`);
        else if (e.type === 'variant-error') console.error(`${elapsedTag()} ${e.error}`);
        else if (e.type === 'notice') console.error(`${elapsedTag()} ${e.text}`);
        else if (e.type === 'case-done') {
          const r = e.row;
          const what = r.status === 'ok' ? `dsc=${fmt(r.dsc)} nsd=${fmt(r.nsd)} time=${r.time_s.toFixed(3)}s` : `FAILED: ${r.error}`;
          const left = eta ? eta.remaining() : null;
          console.error(
            `${elapsedTag()} ${done}/${total} ${r.variant} ${r.case}${r.worker && r.worker !== 'local' ? ` [${r.worker}]` : ''} ${what}${e.warnings.length ? ` (warning: ${e.warnings.map(warningOnce).join('; ')})` : ''}` +
              `${done < total ? ` | ETA ~${formatDuration(left)}${eta?.provisional() ? '?' : ''}` : ''}`,
          );
        } else if (e.type === 'case-skip') console.error(`${elapsedTag()} ${e.variant} ${e.case}: already done (resume)`);
      },
      stop: () => {
        if (traceTimer) clearInterval(traceTimer);
      },
    };
  }
  const width = () => process.stderr.columns || 80;
  const bar = new cliProgress.SingleBar(
    {
      format: () => c.dim(progressLine(state(), width())),
      hideCursor: true,
      clearOnComplete: true,
      fps: 1,
      linewrap: null,
    },
    cliProgress.Presets.legacy,
  );
  let started = false;
  return {
    onEvent: (e) => {
      onEta(e);
      if (e.type === 'notice') {
        process.stderr.write('\r\x1b[K');
        console.error(c.yellow(e.text));
      } else if (e.type === 'plan') {
        bar.start(total, 0);
        started = true;
      } else if (!started) {
        if (e.type === 'variant-start') process.stderr.write('\r\x1b[K' + c.dim(`preparing ${e.variant} (model load, warm-up)...`));
        else if (e.type === 'variant-error') console.error(c.red(e.error));
      } else if (e.type === 'case-done') {
        bar.update(done);
      } else bar.update(done);
    },
    stop: () => {
      if (traceTimer) clearInterval(traceTimer);
      if (started) bar.stop();
    },
  };
}

function fmt(x: number): string {
  return Number.isNaN(x) ? 'NaN' : formatFixed(x, 4);
}

/**
 * Worker-thread entry of the metrics pool (./pool.ts). Two kinds of message:
 * - `{ op: 'score', gtsPath, segsPath, opts }`: scores one case and posts the CaseScore back;
 * - `{ op: 'read', id, gtsPath, segsPath, dim }`: reads one case's files (the read-ahead thread of an in-thread run)
 *   and posts `{ id, files }` back, the large array buffers transferred, not copied.
 */
import { parentPort } from 'node:worker_threads';
import type { Dim } from '../types.js';
import { readCaseFiles, scoreCase, type CaseFiles, type ScoreOptions } from './score.js';

type Job = { op: 'score'; gtsPath: string; segsPath: string; opts: ScoreOptions } | { op: 'read'; id: number; gtsPath: string; segsPath: string; dim: Dim };

/** Array buffers of the read arrays worth transferring (own buffers, not node's shared small-Buffer pool). */
function transferable(files: CaseFiles): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const r of [files.gRes, files.sRes]) {
    if (r.status !== 'fulfilled') continue;
    for (const a of Object.values(r.value)) {
      if (!('data' in a)) continue; // row runs: only streamed in the scoring thread (./stream.ts), never read here
      const buf = a.data.buffer;
      if (buf instanceof ArrayBuffer && buf.byteLength >= 65536 && a.data.byteLength * 2 >= buf.byteLength) out.add(buf);
    }
  }
  return [...out];
}

parentPort?.on('message', (job: Job) => {
  if (job.op === 'read') {
    void readCaseFiles(job.gtsPath, job.segsPath, job.dim).then((files) => {
      // errors cross as plain Errors with their message (what scoreCaseFiles reports)
      for (const r of [files.gRes, files.sRes]) if (r.status === 'rejected') r.reason = new Error(r.reason instanceof Error ? r.reason.message : String(r.reason));
      parentPort!.postMessage({ id: job.id, files }, transferable(files));
    });
  } else {
    void scoreCase(job.gtsPath, job.segsPath, job.opts).then((score) => parentPort!.postMessage(score));
  }
});

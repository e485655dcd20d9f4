/** Worker-thread entry of the metrics pool (./pool.ts): scores one case per message and posts the CaseScore back. */
import { parentPort } from 'node:worker_threads';
import { scoreCase, type ScoreOptions } from './score.js';

interface Job {
  gtsPath: string;
  segsPath: string;
  opts: ScoreOptions;
}

parentPort?.on('message', (job: Job) => {
  void scoreCase(job.gtsPath, job.segsPath, job.opts).then((score) => parentPort!.postMessage(score));
});

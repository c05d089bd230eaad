import { parentPort, workerData } from 'node:worker_threads';
import type { SweepJob } from './job.ts';
import { runJob } from './job.ts';

/** Takes jobs from the pool one at a time and answers each with its result (or the error that ended it) */
const port = parentPort;
const cwd = (workerData as { cwd: string }).cwd;
port?.on('message', (job: SweepJob) => {
  runJob(job, cwd).then(
    (result) => port.postMessage({ result }),
    (error: unknown) =>
      port.postMessage({
        crash: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  );
});
port?.postMessage({ ready: true });

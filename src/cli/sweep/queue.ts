/**
 * Sweeps beyond one machine, on BullMQ over Redis. `kestrel sweep --queue URL` enqueues one job
 * per combination (job id `<sweep>-<index>`, so adding one twice is a no-op) and gathers results
 * as they finish; `kestrel worker --queue URL` on any machine takes jobs and runs each on a worker
 * thread (its event loop stays free to renew the job's lock). A worker killed mid-run stops
 * renewing its lock: after `lockMs` another worker's stalled check puts the job back and it runs
 * again. The gatherer counts each run once, whatever reports it twice.
 *
 * A run's report files travel in a Redis hash beside the job (gzipped, expiring after a week) and
 * its figures in the job's return value; the gatherer writes both out and removes the job.
 */
import { Job, Queue, QueueEvents, Worker } from 'bullmq';
import { connectRedis, redactRedisUrl } from '../../runtime/redis.ts';
import type { SweepPlan } from '../commands/sweep.ts';
import { finishSweep, SweepProgress, sweepJobs } from '../commands/sweep.ts';
import type { Io } from '../io.ts';
import { gridSize } from './grid.ts';
import type { SweepJob, SweepResult } from './job.ts';
import { SweepOutput } from './output.ts';
import { ThreadPool } from './pool.ts';

/** The queue every sweep and worker on a Redis server shares */
const QUEUE_NAME = 'kestrel-sweep';
/** How many times a job that failed as a whole (not its strategy: that is a result) is tried */
const ATTEMPTS = 3;
const FILES_TTL_S = 7 * 86_400;

const filesKey = (jobId: string) => `kestrel-sweep:files:${jobId}`;

/** Enqueues a sweep's runs and gathers their results as workers finish them */
export async function sweepOnQueue(plan: SweepPlan, io: Io): Promise<number> {
  const url = plan.queue!;
  const connection = await connectRedis(url, 'sweep', 'queue');
  const started = performance.now();
  const queue = new Queue(QUEUE_NAME, { connection });
  const eventsConnection = connection.duplicate();
  const events = new QueueEvents(QUEUE_NAME, { connection: eventsConnection });
  const total = gridSize(plan.axes);
  const prefix = `${plan.sweepId}-`;
  const outstanding = new Set<string>();
  const output = new SweepOutput(plan.outDir, plan.axes, plan.metric);
  const bar = !plan.quiet && io.isTTY ? new SweepProgress(io, total) : undefined;
  let failed = 0;
  let wake: (() => void) | undefined;
  let lastNews = Date.now();

  /** Takes in one finished job (completed, or failed for good); safe to call twice */
  const gather = async (jobId: string): Promise<void> => {
    if (!outstanding.has(jobId)) return;
    const job = await Job.fromId<SweepJob, SweepResult>(queue, jobId);
    if (job === undefined) return;
    const state = await job.getState();
    let result: SweepResult | undefined;
    if (state === 'completed') {
      const files = await connection.hgetall(filesKey(jobId));
      result = {
        ...job.returnvalue,
        ...(Object.keys(files).length > 0 ? { files } : {}),
      };
    } else if (state === 'failed') {
      result = {
        sweepId: plan.sweepId,
        index: job.data.index,
        params: job.data.params,
        dirName: job.data.dirName,
        status: 'failed',
        error: `the job failed on the workers: ${job.failedReason}`,
      };
    }
    if (result === undefined || !outstanding.delete(jobId)) return;
    if (output.add(result) && result.status === 'failed') failed += 1;
    await connection.del(filesKey(jobId));
    await job.remove().catch(() => {});
    lastNews = Date.now();
    bar?.update(output.count, failed, output.best()?.dirName ?? 'none');
    wake?.();
  };
  const onFinished = ({ jobId }: { jobId: string }) => {
    if (jobId.startsWith(prefix)) void gather(jobId).catch(() => {});
  };
  events.on('completed', onFinished);
  events.on('failed', onFinished);

  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  try {
    await events.waitUntilReady();
    let batch: Array<{ name: string; data: SweepJob; opts: object }> = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await queue.addBulk(batch);
      batch = [];
    };
    for (const job of sweepJobs(plan, false)) {
      const jobId = `${prefix}${job.index}`;
      outstanding.add(jobId);
      batch.push({
        name: 'run',
        data: job,
        opts: {
          jobId,
          attempts: ATTEMPTS,
          backoff: { type: 'fixed', delay: 1_000 },
          removeOnComplete: false,
          removeOnFail: false,
        },
      });
      if (batch.length >= 500) await flush();
    }
    await flush();
    io.stderr(
      plan.quiet
        ? ''
        : `${total} runs enqueued on ${redactRedisUrl(url)} (sweep ${plan.sweepId}); start workers with: kestrel worker --queue ${redactRedisUrl(url)}\n`,
    );
    // Events carry the news; a slow poll catches anything they missed
    while (outstanding.size > 0 && !abort.signal.aborted) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 2_000);
      });
      wake = undefined;
      if (Date.now() - lastNews >= 2_000) {
        for (const jobId of [...outstanding].slice(0, 200)) await gather(jobId);
        lastNews = Date.now();
      }
    }
    if (abort.signal.aborted) {
      for (const jobId of outstanding) await queue.remove(jobId).catch(() => 0);
      output.abandon();
      io.stderr(`\nstopped: ${outstanding.size} runs not finished were taken off the queue\n`);
      return 130;
    }
  } finally {
    process.off('SIGINT', onSignal);
    bar?.done();
    await events.close();
    await queue.close();
    eventsConnection.disconnect();
    connection.disconnect();
  }
  return finishSweep(output, plan, io, performance.now() - started);
}

export interface WorkerOptions {
  readonly url: string;
  readonly threads: number;
  /** How long a job's lock lasts without renewal: how soon a killed worker's job is retried */
  readonly lockMs: number;
  readonly signal: AbortSignal;
}

/** Takes sweep runs from the queue until the signal, running each on a worker thread */
export async function runQueueWorker(options: WorkerOptions, io: Io): Promise<void> {
  const connection = await connectRedis(options.url, 'worker', 'queue');
  const pool = new ThreadPool(options.threads, io.cwd);
  const workerConnection = connection.duplicate();
  const worker = new Worker<SweepJob, Omit<SweepResult, 'files'>>(
    QUEUE_NAME,
    async (job) => {
      const id = job.id ?? '';
      io.stdout(`started ${id} (run ${job.data.index + 1}, attempt ${job.attemptsMade + 1})\n`);
      const {
        files,
        recycle: _recycle,
        ...result
      } = await pool.run({ ...job.data, dir: undefined });
      if (files !== undefined) {
        await connection.hset(filesKey(id), files);
        await connection.expire(filesKey(id), FILES_TTL_S);
      }
      io.stdout(`finished ${id} ${result.status}\n`);
      return result;
    },
    {
      connection: workerConnection,
      concurrency: options.threads,
      lockDuration: options.lockMs,
      stalledInterval: options.lockMs,
      maxStalledCount: ATTEMPTS,
    },
  );
  worker.on('error', (error) => io.stderr(`worker: ${error.message}\n`));
  await worker.waitUntilReady();
  io.stdout(
    `ready: taking sweep runs from ${redactRedisUrl(options.url)} on ${options.threads} threads\n`,
  );
  await new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    options.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  io.stdout('stopping: finishing the runs in hand\n');
  await worker.close();
  await pool.close();
  workerConnection.disconnect();
  connection.disconnect();
}

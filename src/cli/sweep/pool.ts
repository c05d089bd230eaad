/**
 * Sweep runs on worker threads. A ThreadPool runs one job per thread at a time and answers each
 * with its result; a thread that dies fails only the job it had, and is replaced. `runOnThreads`
 * feeds a pool from a stream of jobs and hands each result on as soon as it is in, keeping
 * nothing, so memory stays flat over any number of runs.
 */
import { Worker } from 'node:worker_threads';
import type { SweepJob, SweepResult } from './job.ts';

type Message =
  | { readonly ready: true }
  | { readonly result: SweepResult }
  | { readonly crash: string };

interface Slot {
  readonly worker: Worker;
  ready: boolean;
  job: SweepJob | undefined;
  settle: ((result: SweepResult) => void) | undefined;
}

function failed(job: SweepJob, why: string): SweepResult {
  return {
    sweepId: job.sweepId,
    index: job.index,
    params: job.params,
    dirName: job.dirName,
    status: 'failed',
    error: why.split('\n')[0] ?? why,
  };
}

export class ThreadPool {
  private readonly cwd: string;
  private readonly slots = new Set<Slot>();
  private readonly waiting: Array<{ job: SweepJob; settle: (r: SweepResult) => void }> = [];
  private closed = false;
  /** Why threads cannot start (one died before it was ready): jobs fail with it instead of looping */
  private broken: string | undefined;

  constructor(size: number, cwd: string) {
    this.cwd = cwd;
    for (let i = 0; i < Math.max(1, size); i++) this.spawn();
  }

  /** Runs a job on the next free thread */
  run(job: SweepJob): Promise<SweepResult> {
    return new Promise((settle) => {
      if (this.broken !== undefined) return settle(failed(job, this.broken));
      this.waiting.push({ job, settle });
      this.dispatch();
    });
  }

  /** Stops every thread (jobs still running are abandoned) */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.slots].map((slot) => slot.worker.terminate()));
    this.slots.clear();
  }

  private spawn(): void {
    // From source (under tsx) a thread registers tsx first; the compiled build runs thread.js
    const entry = import.meta.url.endsWith('.ts') ? './thread-entry.mjs' : './thread.js';
    const worker = new Worker(new URL(entry, import.meta.url), {
      workerData: { cwd: this.cwd },
    });
    const slot: Slot = { worker, ready: false, job: undefined, settle: undefined };
    this.slots.add(slot);
    const finish = (result: SweepResult) => {
      const settle = slot.settle;
      slot.job = undefined;
      slot.settle = undefined;
      settle?.(result);
    };
    const replace = (why: string) => {
      if (!this.slots.delete(slot)) return;
      if (slot.job !== undefined) finish(failed(slot.job, why));
      void worker.terminate();
      if (!slot.ready && !this.closed) {
        // A thread that dies before it is ready would die again: fail the jobs, do not respawn
        this.broken = why;
        if (this.slots.size === 0)
          for (const { job, settle } of this.waiting.splice(0)) settle(failed(job, why));
        return;
      }
      if (!this.closed) {
        this.spawn();
        this.dispatch();
      }
    };
    worker.on('message', (message: Message) => {
      if ('ready' in message) {
        slot.ready = true;
      } else if ('crash' in message) {
        return replace(`the run crashed: ${message.crash}`);
      } else {
        const recycle = message.result.recycle === true;
        finish(message.result);
        // A strategy module sharing one object between runs gets a fresh thread for the next
        if (recycle) return replace('recycled');
      }
      this.dispatch();
    });
    worker.on('error', (error) => replace(`the worker thread failed: ${error.message}`));
    worker.on('exit', () => replace('the worker thread exited'));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.waiting.length === 0) return;
      if (!slot.ready || slot.job !== undefined) continue;
      const next = this.waiting.shift()!;
      slot.job = next.job;
      slot.settle = next.settle;
      slot.worker.postMessage(next.job);
    }
  }
}

export interface PoolOptions {
  readonly threads: number;
  readonly cwd: string;
  readonly onResult: (result: SweepResult) => void;
  readonly signal?: AbortSignal;
}

/** Runs every job on `threads` threads; resolves when all have results (or the signal stopped new ones) */
export async function runOnThreads(jobs: Iterator<SweepJob>, options: PoolOptions): Promise<void> {
  const pool = new ThreadPool(options.threads, options.cwd);
  const lane = async () => {
    for (;;) {
      if (options.signal?.aborted === true) return;
      const item = jobs.next();
      if (item.done === true) return;
      options.onResult(await pool.run(item.value));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.threads) }, lane));
  } finally {
    await pool.close();
  }
}

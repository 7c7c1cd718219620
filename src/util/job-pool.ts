/**
 * Runs jobs on a few worker threads fed from one queue (slow, synchronous work such as a keystore's
 * KDF: one job per worker at a time). Every job settles, in job order; a worker that dies settles its
 * job as failed and, if it was the last, the rest of the queue too. All workers have exited when
 * the returned promise resolves.
 *
 * The worker answers each `{id, ...job}` message with `{id, ...outcome}`.
 */
import { Worker } from "node:worker_threads";

export interface JobPoolOptions<Outcome> {
  workers: number;
  /** Called once per settled job, for progress. */
  onSettled?: () => void;
  /** The outcome of a job whose worker died; `reason` never holds job data. */
  failed: (reason: string) => Outcome;
}

// A worker with a file entry refuses --input-type, which the parent has under `node --input-type=module -e`.
function workerExecArgv(): string[] {
  return process.execArgv.filter((arg) => !arg.startsWith("--input-type"));
}

export async function runJobs<Job extends object, Outcome extends object>(
  workerUrl: URL,
  jobs: readonly Job[],
  options: JobPoolOptions<Outcome>,
): Promise<Outcome[]> {
  if (jobs.length === 0) return [];
  const outcomes = new Array<Outcome | undefined>(jobs.length);
  const workers: Worker[] = [];
  let next = 0;
  let settledCount = 0;
  try {
    await new Promise<void>((resolveAll) => {
      let alive = 0;
      const settle = (id: number, outcome: Outcome) => {
        if (outcomes[id] !== undefined) return;
        outcomes[id] = outcome;
        settledCount++;
        options.onSettled?.();
        if (settledCount === jobs.length) resolveAll();
      };
      const start = () => {
        const worker = new Worker(workerUrl, { execArgv: workerExecArgv() });
        workers.push(worker);
        alive++;
        let current: number | undefined;
        let failure = "worker exited";
        const feed = () => {
          current = next < jobs.length ? next++ : undefined;
          if (current !== undefined) worker.postMessage({ id: current, ...jobs[current] });
        };
        worker.on("message", (reply: Outcome & { id: number }) => {
          const { id, ...outcome } = reply;
          settle(id, outcome as unknown as Outcome);
          feed();
        });
        // Errors that reach here come from outside the job (module loading, out of memory), so
        // their message cannot hold a password or a secret.
        worker.on("error", (err: unknown) => {
          failure = `worker failed: ${err instanceof Error ? err.message : String(err)}`;
        });
        worker.on("exit", () => {
          alive--;
          if (current !== undefined) settle(current, options.failed(failure));
          current = undefined;
          if (alive === 0) {
            while (next < jobs.length) settle(next++, options.failed(failure));
          }
        });
        feed();
      };
      const requested = Number.isFinite(options.workers) ? Math.floor(options.workers) : 1;
      const count = Math.max(1, Math.min(requested, jobs.length));
      for (let i = 0; i < count; i++) start();
    });
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return outcomes as Outcome[];
}

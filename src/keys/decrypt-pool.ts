/**
 * A small pool of worker threads that decrypts keystores from a shared queue. Every job settles
 * (decrypted or failed), the pool never hangs on a dead worker, and all workers are terminated
 * before the results are returned.
 */
import { Worker } from "node:worker_threads";
import type { IKeystore } from "@chainsafe/bls-keystore";
import type { DecryptOutcome } from "./decrypt-keystore.js";

export interface DecryptJob {
  keystore: IKeystore;
  password: string;
}

export type DecryptRequest = DecryptJob & { id: number };
export type DecryptReply = DecryptOutcome & { id: number };

export interface DecryptPoolOptions {
  workers: number;
  /** Called once per settled job, for progress. */
  onSettled?: () => void;
}

// Resolved next to this module, so it finds the compiled .js file in dist/.
const WORKER_URL = new URL("./keystore-worker.js", import.meta.url);

// Workers inherit the parent's Node flags, and a worker with a file entry refuses --input-type
// (set when the parent runs `node --input-type=module -e ...`).
function workerExecArgv(): string[] {
  return process.execArgv.filter((arg) => !arg.startsWith("--input-type"));
}

/** Decrypts every job; the outcomes are in job order. */
export async function decryptAll(jobs: readonly DecryptJob[], options: DecryptPoolOptions): Promise<DecryptOutcome[]> {
  if (jobs.length === 0) return [];
  const outcomes = new Array<DecryptOutcome | undefined>(jobs.length);
  const workers: Worker[] = [];
  let next = 0;
  let settledCount = 0;

  try {
    await new Promise<void>((resolveAll) => {
      let alive = 0;
      const settle = (id: number, outcome: DecryptOutcome) => {
        if (outcomes[id] !== undefined) return;
        outcomes[id] = outcome;
        settledCount++;
        options.onSettled?.();
        if (settledCount === jobs.length) resolveAll();
      };

      const start = () => {
        const worker = new Worker(WORKER_URL, { execArgv: workerExecArgv() });
        workers.push(worker);
        alive++;
        let current: number | undefined;
        const feed = () => {
          current = next < jobs.length ? next++ : undefined;
          if (current !== undefined) worker.postMessage({ id: current, ...jobs[current] } satisfies DecryptRequest);
        };
        let failure = "worker exited";
        worker.on("message", (reply: DecryptReply) => {
          const { id, ...outcome } = reply;
          settle(id, outcome);
          feed();
        });
        // Errors that reach here come from outside decryptKeystore (module loading, out of
        // memory), so their message cannot hold a password or a secret.
        worker.on("error", (err: unknown) => {
          failure = `worker failed: ${err instanceof Error ? err.message : String(err)}`;
        });
        worker.on("exit", () => {
          alive--;
          if (current !== undefined) settle(current, { ok: false, code: "worker-failed", reason: failure });
          current = undefined;
          // The last worker is gone: nobody else will take the queue, so fail what is left.
          if (alive === 0) {
            while (next < jobs.length) settle(next++, { ok: false, code: "worker-failed", reason: failure });
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
  return outcomes as DecryptOutcome[];
}

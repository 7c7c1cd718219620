/**
 * A small pool of worker threads that decrypts keystores from a shared queue. Every job settles
 * (decrypted or failed), the pool never hangs on a dead worker, and all workers are terminated
 * before the results are returned.
 */
import { runJobs } from "../util/job-pool.js";
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

/** Decrypts every job; the outcomes are in job order. */
export async function decryptAll(jobs: readonly DecryptJob[], options: DecryptPoolOptions): Promise<DecryptOutcome[]> {
  return runJobs<DecryptJob, DecryptOutcome>(WORKER_URL, jobs, {
    workers: options.workers,
    ...(options.onSettled ? { onSettled: options.onSettled } : {}),
    failed: (reason) => ({ ok: false, code: "worker-failed", reason }),
  });
}

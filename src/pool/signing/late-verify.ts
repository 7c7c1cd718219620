/**
 * Verifies late partial signatures (see late-verify-worker.ts) on one worker thread. Only for the
 * metrics: a verdict here never decides what is released (the released signature was verified
 * before release, src/pool/signing/quorum.ts). The thread keeps the process alive only while checks are
 * outstanding; a thread that dies fails its checks as invalid (the metric errs towards "forged")
 * and is started again for the next one.
 */
import { Worker } from "node:worker_threads";
import type { CandidatePartial } from "./quorum.js";

export interface LateCheck {
  id: number;
  signingRoot: Uint8Array;
  componentKey: Uint8Array;
  signature: Uint8Array;
}

export interface LateVerdict {
  id: number;
  valid: boolean;
}

/**
 * Checks waiting at most. Late partials arrive at the fan-out rate (N - M per request); a pool
 * partner answering late on purpose must not grow this queue without bound, so beyond it a late
 * partial is left unchecked (undefined), which the metrics skip rather than guess.
 */
export const MAX_PENDING_LATE_CHECKS = 1024;

export class LatePartialVerifier {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, (valid: boolean) => void>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly maxPending = MAX_PENDING_LATE_CHECKS) {}

  /** Whether the partial verifies; undefined when the thread is too far behind to check it. */
  verify(signingRoot: Uint8Array, candidate: CandidatePartial): Promise<boolean | undefined> {
    if (this.closed) return Promise.resolve(false);
    if (this.pending.size >= this.maxPending) return Promise.resolve(undefined);
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    const check: LateCheck = { id, signingRoot: Uint8Array.from(signingRoot), componentKey: candidate.componentKey.toBytes(), signature: candidate.signature.toBytes() };
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      worker.ref();
      worker.postMessage(check);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failAll();
    await worker?.terminate();
  }

  private start(): Worker {
    const worker = new Worker(new URL("./late-verify-worker.js", import.meta.url));
    worker.on("message", ({ id, valid }: LateVerdict) => {
      const resolve = this.pending.get(id);
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
      resolve?.(valid);
    });
    const stopped = () => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll();
    };
    worker.on("error", stopped);
    worker.on("exit", stopped);
    worker.unref();
    return worker;
  }

  private failAll(): void {
    for (const resolve of this.pending.values()) resolve(false);
    this.pending.clear();
  }
}

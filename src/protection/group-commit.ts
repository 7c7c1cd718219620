/**
 * Group commit, shared by every protection store: calls to `checkAndRecord` made while the database
 * is busy (or in the same event-loop turn) join one transaction, so many requests cost one durable
 * commit. Each request is still decided after every earlier one (decide.ts), so the guarantees are
 * those of one call at a time.
 *
 * Each caller may hand in work to start on its decisions as soon as the group's transaction has
 * made them, while the commit is still on its way to disk (`submit(requests, prepare)`; the signing
 * core signs there, so that the fsync and the BLS signing overlap). The caller gets that work's
 * result only once the commit has returned: a promise of this class never settles with a decision
 * whose record is not durable, and when the commit fails the work's result is dropped and the call
 * is refused.
 */
import { invalidRequestReason } from "./request-checks.js";
import { type CommitCallOptions, type PrepareOnDecisions, ProtectionStoreError, type Recorded } from "./store.js";
import type { Decision, ProtectionRequest } from "./types.js";

export interface GroupCommitOptions {
  /** Requests merged into one transaction at most (a call is never split). */
  maxGroupRequests: number;
  /** Transactions running or queued at once (PostgreSQL: the pool size). */
  maxInFlight: number;
  /**
   * When true, a group that is not full goes only when no other one is in flight: for a single
   * writer (SQLite), where a second group can only queue behind the first. A full one still goes
   * at once, so that a burst commits back to back instead of waiting for each reply; a partial
   * one keeps collecting callers until the writer is free, so a commit serves as many as it can.
   */
  partialGroupsWait?: boolean;
  /** The longest a partial group is held for callers that can wait (default MAX_HOLD_MS). */
  maxHoldMs?: number;
  /**
   * Decides and durably records one group in one transaction. Calls `decided` once, with one
   * decision per request, as soon as the transaction has made them (records written, commit not
   * yet returned); resolves once the commit has returned. Rejects on any storage failure, before
   * or after `decided`.
   */
  commit(requests: readonly ProtectionRequest[], decided: (decisions: Decision[]) => void): Promise<void>;
  /**
   * Handles at once the replies of running commits that have arrived (their decisions, their
   * COMMIT returned) instead of at the event loop's next turn. Called on each call while a commit
   * runs, so that a burst read in one long turn starts signing its first groups during that turn.
   */
  takeReplies?(): void;
}

/**
 * How long a partial group may be held for more calls while all its callers say they can wait
 * (CommitCallOptions.holdWhile), counted from the arrival of its oldest call.
 */
export const MAX_HOLD_MS = 10;

interface PendingCall {
  requests: readonly ProtectionRequest[];
  prepare: PrepareOnDecisions<unknown>;
  holdWhile: (() => boolean) | undefined;
  arrivedAt: number;
  resolve: (recorded: Recorded<unknown>) => void;
  reject: (error: Error) => void;
}

export class GroupCommit {
  private pending: PendingCall[] = [];
  private pendingRequests = 0;
  private dispatchScheduled = false;
  private holdTimer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private readonly running = new Set<Promise<void>>();
  private closing = false;
  /** Why the last commit failed, until one succeeds: a full disk fails writes while reads work. */
  lastWriteError: string | undefined;

  constructor(private readonly options: GroupCommitOptions) {}

  get closed(): boolean {
    return this.closing;
  }

  submit<T>(requests: readonly ProtectionRequest[], prepare: PrepareOnDecisions<T>, options: CommitCallOptions = {}): Promise<Recorded<T>> {
    if (this.closing) return Promise.reject(new ProtectionStoreError("slashing-protection database is closed"));
    const invalid = requests.map(invalidRequestReason).find((reason) => reason !== undefined);
    if (invalid !== undefined) return Promise.reject(new ProtectionStoreError(`invalid protection request: ${invalid}`));
    // A long run of calls in one event-loop turn (a burst) must not keep earlier groups' decisions waiting.
    if (this.inFlight > 0) this.options.takeReplies?.();
    if (requests.length === 0) return Promise.resolve([]).then(prepare).then((prepared) => ({ decisions: [], prepared, committedAt: performance.now() }));
    return new Promise<Recorded<T>>((resolve, reject) => {
      this.pending.push({
        requests,
        prepare,
        holdWhile: options.holdWhile,
        arrivedAt: performance.now(),
        resolve: resolve as (recorded: Recorded<unknown>) => void,
        reject,
      });
      this.pendingRequests += requests.length;
      // A full group goes at once, so that signing can start on it instead of waiting for a
      // commit of the whole burst; otherwise the calls of this event-loop turn go together.
      if (this.pendingRequests >= this.options.maxGroupRequests) this.dispatch();
      else this.scheduleDispatch();
    });
  }

  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.pending.length > 0 && this.inFlight < this.options.maxInFlight) {
      const partial = this.pendingRequests < this.options.maxGroupRequests;
      if (this.options.partialGroupsWait === true && this.inFlight > 0 && partial) return;
      if (partial && !this.closing && this.holding()) return;
      const calls: PendingCall[] = [];
      let size = 0;
      while (this.pending.length > 0 && (calls.length === 0 || size + this.pending[0]!.requests.length <= this.options.maxGroupRequests)) {
        const call = this.pending.shift()!;
        calls.push(call);
        size += call.requests.length;
      }
      this.pendingRequests -= size;
      this.inFlight++;
      const run: Promise<void> = this.commitGroup(calls).finally(() => {
        this.inFlight--;
        this.running.delete(run);
        if (this.pending.length > 0) this.dispatch();
      });
      this.running.add(run);
    }
  }

  /**
   * A partial group is held while every caller in it can wait (their signing threads have plenty
   * queued, so an earlier commit gains them nothing) and its oldest call is under maxHoldMs old:
   * a fuller group costs fewer commits. Looked at again every millisecond.
   */
  private holding(): boolean {
    const oldest = this.pending[0];
    if (oldest === undefined || performance.now() - oldest.arrivedAt >= (this.options.maxHoldMs ?? MAX_HOLD_MS)) return false;
    // Calls of one caller share one function: each is asked once, not once per call.
    let asked: (() => boolean) | undefined;
    for (const call of this.pending) {
      if (call.holdWhile === undefined) return false;
      if (call.holdWhile === asked) continue;
      if (!call.holdWhile()) return false;
      asked = call.holdWhile;
    }
    this.holdTimer ??= setTimeout(() => {
      this.holdTimer = undefined;
      this.dispatch();
    }, 1);
    return true;
  }

  private async commitGroup(calls: readonly PendingCall[]): Promise<void> {
    const requests = calls.flatMap((call) => call.requests);
    /** Each call's own decisions and the work started on them, once the transaction has decided. */
    let started: Array<{ decisions: Decision[]; work: Promise<unknown> }> | undefined;
    const decided = (made: Decision[]) => {
      if (started !== undefined || made.length !== requests.length) return;
      let offset = 0;
      started = calls.map((call) => {
        const own = made.slice(offset, (offset += call.requests.length));
        const work = Promise.resolve(own).then(call.prepare);
        // Handled below once the commit has returned; dropped (never handed over) if it fails.
        work.catch(() => undefined);
        return { decisions: own, work };
      });
    };
    try {
      await this.options.commit(requests, decided);
      if (started === undefined) throw new Error(`the commit returned without ${requests.length} decisions`);
      this.lastWriteError = undefined;
    } catch (err) {
      this.lastWriteError = (err as Error).message;
      const error = new ProtectionStoreError(`slashing-protection database write failed, nothing signed: ${(err as Error).message}`);
      for (const call of calls) call.reject(error);
      return;
    }
    // Durable: only now does each caller get its decisions and the work done on them.
    const committedAt = performance.now();
    const ready = started;
    calls.forEach((call, i) => {
      const { decisions, work } = ready[i]!;
      work.then((prepared) => call.resolve({ decisions, prepared, committedAt }), call.reject);
    });
  }

  /** Refuses new calls and settles every queued and running one. */
  async close(): Promise<void> {
    this.closing = true;
    while (this.pending.length > 0 || this.running.size > 0) {
      this.dispatch();
      await Promise.allSettled([...this.running]);
    }
  }
}

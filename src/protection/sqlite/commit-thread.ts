/**
 * The store's side of the SQLite commit thread (commit-worker.ts). A thread that dies fails its
 * groups (nothing signed) and is started again for the next group. The thread keeps the process
 * alive only while a commit is in flight.
 */
import { Worker } from "node:worker_threads";
import type { Decision, ProtectionRequest } from "../types.js";
import type { CommitMessage, CommitReply, CommitThreadData } from "./commit-protocol.js";

interface InFlight {
  decided: (decisions: Decision[]) => void;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker: Worker;
  /** This thread's groups awaiting their reply. */
  inFlight: Map<number, InFlight>;
}

export class SqliteCommitThread {
  private thread: Thread | undefined;
  private nextId = 1;

  constructor(private readonly path: string) {
    this.thread = this.start();
  }

  /** Commits one group: `decided` gets its decisions before COMMIT, which has returned when this resolves. */
  commit(requests: readonly ProtectionRequest[], decided: (decisions: Decision[]) => void): Promise<void> {
    const { worker, inFlight } = (this.thread ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      inFlight.set(id, { decided, resolve, reject });
      worker.ref();
      const message: CommitMessage = { type: "commit", id, requests };
      worker.postMessage(message);
    });
  }

  /** Lets the thread close its connection and waits for it to end. */
  async close(): Promise<void> {
    const worker = this.thread?.worker;
    if (worker === undefined) return;
    this.thread = undefined;
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    const message: CommitMessage = { type: "close" };
    worker.postMessage(message);
    worker.ref();
    await exited;
  }

  private start(): Thread {
    const workerData: CommitThreadData = { path: this.path };
    const worker = new Worker(new URL("./commit-worker.js", import.meta.url), { workerData });
    const thread: Thread = { worker, inFlight: new Map() };
    const { inFlight } = thread;
    worker.on("message", (reply: CommitReply) => {
      const call = inFlight.get(reply.id);
      if (call === undefined) return;
      if ("decisions" in reply) {
        call.decided(reply.decisions);
        return;
      }
      inFlight.delete(reply.id);
      if (inFlight.size === 0) worker.unref();
      if ("error" in reply) call.reject(new Error(reply.error));
      else call.resolve();
    });
    const fail = (reason: string) => {
      if (this.thread === thread) this.thread = undefined;
      for (const call of inFlight.values()) call.reject(new Error(`the commit thread stopped (${reason}); the groups it held were not confirmed`));
      inFlight.clear();
    };
    worker.on("error", (err) => fail(err.message));
    worker.on("exit", (code) => fail(`exit code ${code}`));
    worker.unref();
    return thread;
  }
}

/**
 * The store's side of the SQLite commit thread (commit-worker.ts). A thread that dies fails its
 * groups (nothing signed) and is started again for the next group. The thread keeps the process
 * alive only while a commit is in flight.
 *
 * Its replies come on a port of their own, so that they can also be taken synchronously
 * (takeReplies): in a burst, the event loop spends one long turn reading hundreds of requests, and
 * a group's decisions would otherwise wait for the end of that turn while the signing threads idle.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import type { Decision, ProtectionRequest } from "../types.js";
import type { CommitMessage, CommitReply, CommitThreadData } from "./commit-protocol.js";

interface InFlight {
  decided: (decisions: Decision[]) => void;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker: Worker;
  /** Where the thread's replies arrive (a port of its own, so that they can be taken synchronously). */
  replies: MessagePort;
  /** This thread's groups awaiting their reply. */
  inFlight: Map<number, InFlight>;
  handle: (reply: CommitReply) => void;
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

  /**
   * Handles the replies that have already arrived, in order, without waiting for the event loop to
   * deliver them: the same handling as a delivered one, only sooner.
   */
  takeReplies(): void {
    if (this.thread !== undefined) takeArrived(this.thread);
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
    const { port1: replies, port2 } = new MessageChannel();
    const workerData: CommitThreadData = { path: this.path, replies: port2 };
    const worker = new Worker(new URL("./commit-worker.js", import.meta.url), { workerData, transferList: [port2] });
    const inFlight = new Map<number, InFlight>();
    const handle = (reply: CommitReply) => {
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
    };
    const thread: Thread = { worker, replies, inFlight, handle };
    replies.on("message", handle);
    replies.unref();
    const fail = (reason: string) => {
      if (this.thread === thread) this.thread = undefined;
      // Replies sent before the thread stopped still count: a group whose COMMIT returned is confirmed.
      takeArrived(thread);
      replies.close();
      for (const call of inFlight.values()) call.reject(new Error(`the commit thread stopped (${reason}); the groups it held were not confirmed`));
      inFlight.clear();
    };
    worker.on("error", (err) => fail(err.message));
    worker.on("exit", (code) => fail(`exit code ${code}`));
    worker.unref();
    return thread;
  }
}

function takeArrived(thread: Thread): void {
  while (thread.inFlight.size > 0) {
    const received = receiveMessageOnPort(thread.replies);
    if (received === undefined) return;
    thread.handle(received.message as CommitReply);
  }
}

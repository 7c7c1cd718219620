/**
 * BLS signing on every core: worker threads each hold the secret keys and sign roots in batches.
 * Requests arriving in the same event-loop turn are shared out over every worker, in chunks of at
 * most MAX_CHUNK, each to the least busy worker: a burst costs few messages, early replies do not
 * wait for a whole burst, and a small group (16 requests released by one commit) keeps every core
 * busy instead of queueing on one. Items of batch requests travel in chunks of their own, answered
 * once per chunk: such a request waits for all its signatures anyway, and each early reply costs
 * the event loop a wake-up.
 *
 * A thread with nothing to sign is not left idle until the turn ends: a burst's turn reads hundreds
 * of requests, so requests then go out at once (in a microtask, still together with the rest of
 * their group), and the threads' replies are taken as they arrive to know which threads are idle.
 */
import { availableParallelism } from "node:os";
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import { type PoolMessage, type PoolReply, ROOT_BYTES, SIGNATURE_BYTES, type SignThreadData } from "./sign-protocol.js";
import { codedError } from "../errors/bulwark-error.js";

const MAX_CHUNK = 32;

interface PendingSign {
  pubkey: string;
  slot: number;
  root: Uint8Array;
  /** Part of a batch request (see SignOptions). */
  batched: boolean;
  resolve: (signature: Uint8Array) => void;
  reject: (error: Error) => void;
}

interface WorkerState {
  worker: Worker;
  /** The thread's replies: a port of its own, so that they can also be taken synchronously. */
  replies: MessagePort;
  /** Items sent and not yet answered. */
  outstanding: number;
  /** Chunks sent, with how many of their items are still unanswered. */
  inFlight: Map<number, { items: PendingSign[]; unanswered: number }>;
}

export interface SignOptions {
  /**
   * The signature is one of a batch request's, which is answered only when all of them are done:
   * it need not be handed back before the rest of its chunk.
   */
  batched?: boolean;
}

export class SignPoolError extends codedError("signing-threads") {
  override name = "SignPoolError";
}

function missingKey(pubkey: string): SignPoolError {
  return new SignPoolError(`no secret key loaded for ${pubkey}`);
}

export class SignPool {
  private readonly workers: WorkerState[];
  private queue: PendingSign[] = [];
  private flushInMicrotask = false;
  private flushAtTurnEnd = false;
  private nextId = 1;
  /** The slot each loaded key has in the workers (messages name keys by slot, not by pubkey). */
  private readonly slots = new Map<string, number>();
  private nextSlot = 0;
  private closed = false;
  /** Set when a worker died: the pool then refuses to sign (fail closed) and reports unhealthy. */
  private failure: Error | undefined;

  constructor(size = Math.max(1, availableParallelism())) {
    const workerUrl = new URL("./sign-worker.js", import.meta.url);
    this.workers = Array.from({ length: size }, () => {
      const { port1: replies, port2 } = new MessageChannel();
      const workerData: SignThreadData = { replies: port2 };
      const state: WorkerState = { worker: new Worker(workerUrl, { workerData, transferList: [port2] }), replies, outstanding: 0, inFlight: new Map() };
      replies.on("message", (reply: PoolReply) => this.settle(state, reply));
      replies.unref();
      state.worker.on("error", (err) => this.failWorker(state, err));
      state.worker.on("exit", (code) => {
        if (!this.closed) this.failWorker(state, new Error(`signing worker exited with code ${code}`));
      });
      state.worker.unref();
      return state;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** Signatures asked for and not yet handed back (queued here or at a worker); replies that have arrived are taken first. */
  get backlog(): number {
    this.takeReplies();
    let items = this.queue.length;
    for (const worker of this.workers) items += worker.outstanding;
    return items;
  }

  /** Hands keys to every worker. Callers keep no other copy of the secrets they pass. */
  addKeys(keys: ReadonlyArray<{ pubkey: string; secretKey: Uint8Array }>): void {
    const entries: Array<[number, Uint8Array]> = keys.map((k) => {
      // A key loaded again keeps its slot, so the workers replace its secret instead of keeping both.
      let slot = this.slots.get(k.pubkey);
      if (slot === undefined) this.slots.set(k.pubkey, (slot = this.nextSlot++));
      // Own copies: a view into a shared buffer would send (and leave) its neighbours' bytes too.
      return [slot, Uint8Array.from(k.secretKey)];
    });
    const message: PoolMessage = { type: "add-keys", keys: entries };
    for (const { worker } of this.workers) worker.postMessage(message);
    // postMessage has cloned them; these copies are no longer needed.
    for (const [, secret] of entries) secret.fill(0);
  }

  removeKeys(pubkeys: readonly string[]): void {
    const slots: number[] = [];
    for (const pubkey of pubkeys) {
      const slot = this.slots.get(pubkey);
      if (slot === undefined) continue;
      this.slots.delete(pubkey);
      slots.push(slot);
    }
    const message: PoolMessage = { type: "remove-keys", slots };
    for (const { worker } of this.workers) worker.postMessage(message);
  }

  sign(pubkey: string, root: Uint8Array, options: SignOptions = {}): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new SignPoolError("signing pool is closed"));
    if (this.failure) return Promise.reject(new SignPoolError(`signing pool is broken: ${this.failure.message}`));
    const slot = this.slots.get(pubkey);
    if (slot === undefined) return Promise.reject(missingKey(pubkey));
    if (root.length !== ROOT_BYTES) return Promise.reject(new SignPoolError(`a signing root is ${ROOT_BYTES} bytes, not ${root.length}`));
    return new Promise((resolve, reject) => {
      this.queue.push({ pubkey, slot, root: Uint8Array.from(root), batched: options.batched === true, resolve, reject });
      this.scheduleFlush();
    });
  }

  /**
   * The queue goes out in a microtask when a thread is idle (it would otherwise wait for the end of
   * this event-loop turn), else at the end of the turn, together with everything queued meanwhile.
   */
  private scheduleFlush(): void {
    if (this.flushInMicrotask) return;
    this.takeReplies();
    if (this.workers.some((w) => w.outstanding === 0)) {
      this.flushInMicrotask = true;
      queueMicrotask(() => {
        this.flushInMicrotask = false;
        this.flush();
      });
    } else if (!this.flushAtTurnEnd) {
      this.flushAtTurnEnd = true;
      setImmediate(() => {
        this.flushAtTurnEnd = false;
        this.flush();
      });
    }
  }

  /** Settles the replies that have arrived, in order, as their delivery would, only sooner. */
  private takeReplies(): void {
    for (const state of this.workers) {
      while (state.outstanding > 0) {
        const received = receiveMessageOnPort(state.replies);
        if (received === undefined) break;
        this.settle(state, received.message as PoolReply);
      }
    }
  }

  private flush(): void {
    const queue = this.queue;
    if (queue.length === 0) return;
    this.queue = [];
    const single = queue.filter((item) => !item.batched);
    const batched = queue.filter((item) => item.batched);
    this.dispatch(single, false);
    this.dispatch(batched, true);
  }

  private dispatch(items: readonly PendingSign[], replyAtEnd: boolean): void {
    const chunk = Math.min(MAX_CHUNK, Math.ceil(items.length / this.workers.length));
    for (let start = 0; start < items.length; start += chunk) {
      const state = this.workers.reduce((least, w) => (w.outstanding < least.outstanding ? w : least));
      const chunkItems = items.slice(start, start + chunk);
      const id = this.nextId++;
      state.inFlight.set(id, { items: chunkItems, unanswered: chunkItems.length });
      state.outstanding += chunkItems.length;
      const slots = new Uint32Array(chunkItems.length);
      const roots = new Uint8Array(chunkItems.length * ROOT_BYTES);
      chunkItems.forEach((item, i) => {
        slots[i] = item.slot;
        roots.set(item.root, i * ROOT_BYTES);
      });
      const message: PoolMessage = { type: "sign", id, slots, roots, replyAtEnd };
      state.worker.ref();
      state.worker.postMessage(message, [slots.buffer, roots.buffer]);
    }
  }

  private settle(state: WorkerState, reply: PoolReply): void {
    const chunk = state.inFlight.get(reply.id);
    if (chunk === undefined) return;
    chunk.unanswered -= reply.count;
    state.outstanding -= reply.count;
    if (chunk.unanswered <= 0) state.inFlight.delete(reply.id);
    if (state.inFlight.size === 0) state.worker.unref();
    for (let i = 0; i < reply.count; i++) {
      const item = chunk.items[reply.first + i]!;
      if (reply.missing[i] === 1) item.reject(missingKey(item.pubkey));
      else item.resolve(reply.signatures.slice(i * SIGNATURE_BYTES, (i + 1) * SIGNATURE_BYTES));
    }
  }

  /** Why the pool cannot sign, or undefined when it can. */
  get brokenReason(): string | undefined {
    return this.failure?.message;
  }

  private failWorker(state: WorkerState, err: Error): void {
    this.failure ??= err;
    for (const { items } of state.inFlight.values()) {
      for (const item of items) item.reject(new SignPoolError(`signing failed: ${err.message}`));
    }
    state.inFlight.clear();
    state.outstanding = 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
    for (const { replies } of this.workers) replies.close();
  }
}

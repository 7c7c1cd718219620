/**
 * Messages between the signing pool and its worker threads. A key is named by the slot the pool
 * gave it (a small integer), and a chunk's roots and signatures travel as one transferred buffer
 * each: structured-cloning a pubkey string and a Uint8Array per item cost the main thread about
 * 7 µs per signature, a transferred buffer costs the same for 1 item as for 32.
 */
import type { MessagePort } from "node:worker_threads";

export type PoolMessage =
  | { type: "add-keys"; keys: Array<[slot: number, secret: Uint8Array]> }
  | { type: "remove-keys"; slots: number[] }
  | {
      type: "sign";
      id: number;
      /** The key slot of each item. */
      slots: Uint32Array;
      /** 32 bytes per item, in item order. */
      roots: Uint8Array;
      /**
       * Every item belongs to a batch request, which is answered only once all its signatures are
       * there: the worker replies once, at the end of the chunk, instead of every REPLY_EVERY_MS.
       */
      replyAtEnd: boolean;
    };

/**
 * Signatures of items `first` .. `first + count - 1` of chunk `id`: 96 bytes per item in
 * `signatures`; `missing[i]` is 1 when the worker holds no key for item `first + i` (its 96 bytes
 * are then zero). A worker answers a chunk in one or more replies, in item order.
 */
export interface PoolReply {
  id: number;
  first: number;
  count: number;
  signatures: Uint8Array;
  missing: Uint8Array;
}

/** What a signing thread starts with: the port it replies on (the pool takes replies synchronously too). */
export interface SignThreadData {
  replies: MessagePort;
}

export const ROOT_BYTES = 32;
export const SIGNATURE_BYTES = 96;

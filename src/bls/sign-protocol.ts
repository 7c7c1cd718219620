/** Messages between the signing pool and its worker threads. */
export type PoolMessage =
  | { type: "add-keys"; keys: Array<[pubkey: string, secret: Uint8Array]> }
  | { type: "remove-keys"; pubkeys: string[] }
  | { type: "sign"; id: number; items: Array<{ pubkey: string; root: Uint8Array }> };

/** One signature (96 bytes) per item, or null when the worker does not hold the key. */
export interface PoolReply {
  id: number;
  signatures: Array<Uint8Array | null>;
}

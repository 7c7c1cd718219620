/**
 * A signing thread of the core. Holds secret keys (sent once by the pool) and signs signing roots
 * that the core has already checked and recorded. Never receives anything else to sign.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SecretKey } from "@chainsafe/blst";
import { type PoolMessage, type PoolReply, ROOT_BYTES, SIGNATURE_BYTES, type SignThreadData } from "./sign-protocol.js";

const { replies } = workerData as SignThreadData;

/**
 * A chunk's signatures go back as soon as this much time has passed since the last reply: the
 * first signatures of a chunk are not held back for the last (their requests' clients can send
 * the next request meanwhile, which keeps the pipeline full), while a fast machine still sends
 * several signatures per message.
 */
const REPLY_EVERY_MS = 1;

const keys = new Map<number, SecretKey>();

parentPort!.on("message", (message: PoolMessage) => {
  switch (message.type) {
    case "add-keys":
      for (const [slot, secret] of message.keys) keys.set(slot, SecretKey.fromBytes(secret));
      break;
    case "remove-keys":
      for (const slot of message.slots) keys.delete(slot);
      break;
    case "sign":
      signChunk(message.id, message.slots, message.roots, message.replyAtEnd);
      break;
  }
});

function signChunk(id: number, slots: Uint32Array, roots: Uint8Array, replyAtEnd: boolean): void {
  const total = slots.length;
  let first = 0;
  let signatures = new Uint8Array(total * SIGNATURE_BYTES);
  let missing = new Uint8Array(total);
  let lastReply = performance.now();
  for (let item = 0; item < total; item++) {
    const key = keys.get(slots[item]!);
    const at = item - first;
    if (key === undefined) missing[at] = 1;
    else signatures.set(key.sign(roots.subarray(item * ROOT_BYTES, (item + 1) * ROOT_BYTES)).toBytes(), at * SIGNATURE_BYTES);
    const now = performance.now();
    if (item + 1 < total && (replyAtEnd || now - lastReply < REPLY_EVERY_MS)) continue;
    const count = at + 1;
    const sent = signatures.slice(0, count * SIGNATURE_BYTES);
    const sentMissing = missing.slice(0, count);
    const reply: PoolReply = { id, first, count, signatures: sent, missing: sentMissing };
    replies.postMessage(reply, [sent.buffer, sentMissing.buffer]);
    first = item + 1;
    lastReply = now;
    signatures = new Uint8Array((total - first) * SIGNATURE_BYTES);
    missing = new Uint8Array(total - first);
  }
}

/**
 * A signing thread of the core. Holds secret keys (sent once by the pool) and signs signing roots
 * that the core has already checked and recorded. Never receives anything else to sign.
 */
import { parentPort } from "node:worker_threads";
import { SecretKey } from "@chainsafe/blst";
import type { PoolReply, PoolMessage } from "./sign-protocol.js";

const keys = new Map<string, SecretKey>();

parentPort!.on("message", (message: PoolMessage) => {
  switch (message.type) {
    case "add-keys":
      for (const [pubkey, secret] of message.keys) keys.set(pubkey, SecretKey.fromBytes(secret));
      break;
    case "remove-keys":
      for (const pubkey of message.pubkeys) keys.delete(pubkey);
      break;
    case "sign": {
      const signatures = message.items.map(({ pubkey, root }) => {
        const key = keys.get(pubkey);
        return key === undefined ? null : key.sign(root).toBytes();
      });
      const reply: PoolReply = { id: message.id, signatures };
      parentPort!.postMessage(reply);
      break;
    }
  }
});

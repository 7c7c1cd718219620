/**
 * Worker thread entry: decrypts one keystore per message. The KDF is deliberately slow and runs
 * synchronously, so each worker takes one job at a time and the pool keeps one worker per core.
 */
import { parentPort } from "node:worker_threads";
import { decryptKeystore } from "./decrypt-keystore.js";
import type { DecryptReply, DecryptRequest } from "./decrypt-pool.js";

const port = parentPort;
if (port === null) throw new Error("keystore-worker must run as a worker thread");

port.on("message", async (request: DecryptRequest) => {
  let reply: DecryptReply;
  try {
    reply = { id: request.id, ...(await decryptKeystore(request.keystore, request.password)) };
  } catch {
    // decryptKeystore reports failures as values; reaching here is a bug, and the error may hold
    // anything, so it is not forwarded.
    reply = { id: request.id, ok: false, code: "decrypt-failed", reason: "decryption failed (internal error)" };
  }
  // Transfer rather than copy, so the secret exists once, in the main thread.
  port.postMessage(reply, reply.ok ? [reply.secretKey.buffer] : []);
});

/**
 * Worker thread entry: creates and verifies one EIP-2335 keystore per message. Only the encrypted
 * keystore goes back; the copy of the secret this thread received is zeroed.
 */
import { parentPort } from "node:worker_threads";
import { createKeystore, KeystoreCreateError, type KeystoreReply, type KeystoreRequest } from "./create-keystore.js";

const port = parentPort;
if (port === null) throw new Error("create-keystore-worker must run as a worker thread");

port.on("message", async (request: KeystoreRequest) => {
  let reply: KeystoreReply;
  try {
    const options = {
      verify: true,
      ...(request.kdf !== undefined ? { kdf: request.kdf } : {}),
      ...(request.description !== undefined ? { description: request.description } : {}),
    };
    const keystore = await createKeystore(request.secretKey, request.password, request.path, options);
    reply = { id: request.id, ok: true, keystore };
  } catch (err) {
    // Our own errors carry no secret; anything else may, so it is not forwarded.
    const reason = err instanceof KeystoreCreateError ? err.message : "keystore creation failed (internal error)";
    reply = { id: request.id, ok: false, reason };
  } finally {
    request.secretKey.fill(0);
  }
  port.postMessage(reply);
});

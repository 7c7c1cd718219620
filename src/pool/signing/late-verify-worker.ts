/**
 * The aggregator's late-partial thread: verifies partial signatures that arrived after the quorum
 * (nobody waits for them; they are checked only so that a participant that forges while always
 * answering last still shows in the metrics). Off the event loop, a pairing check of ~1-3 ms per
 * late partial no longer delays the requests behind it.
 */
import { parentPort } from "node:worker_threads";
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import type { LateCheck, LateVerdict } from "./late-verify.js";

parentPort!.on("message", ({ id, signingRoot, componentKey, signature }: LateCheck) => {
  let valid: boolean;
  try {
    // The signature was subgroup-checked on arrival and the component key when the pool was loaded.
    valid = verify(signingRoot, PublicKey.fromBytes(componentKey), Signature.fromBytes(signature), false, false);
  } catch {
    valid = false;
  }
  const verdict: LateVerdict = { id, valid };
  parentPort!.postMessage(verdict);
});

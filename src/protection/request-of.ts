import type { ProtectionFacts } from "../eth/types.js";
import type { ProtectionRequest } from "./types.js";

/** The record a signature over `signingRoot` asks the store to check and keep, from the request's slashing facts. */
export function protectionRequestOf(pubkey: string, signingRoot: Uint8Array, facts: ProtectionFacts): ProtectionRequest {
  const root = "0x" + Buffer.from(signingRoot).toString("hex");
  return facts.kind === "block"
    ? { kind: "block", pubkey, slot: facts.slot, signingRoot: root }
    : { kind: "attestation", pubkey, sourceEpoch: facts.sourceEpoch, targetEpoch: facts.targetEpoch, signingRoot: root };
}

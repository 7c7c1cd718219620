/** Builders of protection requests and records shared by the store tests. */
import type { ValidatorHistory } from "../../src/protection/history.js";
import type { ProtectionStore } from "../../src/protection/store.js";
import type { AttestationRequest, BlockRequest, Decision } from "../../src/protection/types.js";

export const GVR = "0x" + "22".repeat(32);
export const OTHER_GVR = "0x" + "33".repeat(32);
export const PK = "0x" + "ab".repeat(48);

/** A 32-byte root made of the byte n repeated (n from 1 to 255). */
export const root = (n: number): string => "0x" + n.toString(16).padStart(2, "0").repeat(32);

export const att = (sourceEpoch: number, targetEpoch: number, n = 1, pubkey = PK): AttestationRequest => ({
  kind: "attestation",
  pubkey,
  sourceEpoch,
  targetEpoch,
  signingRoot: root(n),
});

export const block = (slot: number, n = 1, pubkey = PK): BlockRequest => ({ kind: "block", pubkey, slot, signingRoot: root(n) });

/** "record", "repeat" or the refusal reason of each decision. */
export const summarise = (decisions: readonly Decision[]): string[] =>
  decisions.map((d) => (d.allowed ? (d.record ? "record" : "repeat") : d.refusal.reason));

export async function exportAll(store: ProtectionStore, pubkeys?: readonly string[]): Promise<ValidatorHistory[]> {
  const out: ValidatorHistory[] = [];
  for await (const history of store.exportHistory(pubkeys)) out.push(history);
  return out;
}

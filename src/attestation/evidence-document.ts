/**
 * The Bulwark evidence document: hardware evidence (a TDX quote or an SEV-SNP report, from
 * configfs-tsm) or software evidence, with what its report data binds, so a verifier can recompute
 * the binding.
 *
 * ```json
 * {"format": "bulwark-evidence", "version": 1, "provider": "tdx" | "sev-snp" | "software",
 *  "identity": {"publicKey": "0x04…", "address": "0x…"},
 *  "binding": {"type": "identity", "nonce": "0x…32 bytes"} | {"type": "statement", "statement": {…}},
 *  "reportData": "0x…64 bytes",
 *  "evidence": "<base64 outblob>", "certificates": "<base64 auxblob>",
 *  "softwareSignature": "0x…"}
 * ```
 */
import type { Hex } from "viem";
import { parseSignedStatement, type SignedStatement } from "./statements.js";

export const EVIDENCE_FORMAT = "bulwark-evidence";
export type EvidenceProviderName = "tdx" | "sev-snp" | "software";

export type EvidenceBinding = { type: "identity"; nonce: Hex } | { type: "statement"; statement: SignedStatement };

export interface EvidenceDocument {
  format: typeof EVIDENCE_FORMAT;
  version: 1;
  provider: EvidenceProviderName;
  identity: { publicKey: Hex; address: Hex };
  binding: EvidenceBinding;
  reportData: Hex;
  /** Hardware providers: the quote or report, base64. */
  evidence?: string;
  /** SEV-SNP: the certificate table configfs-tsm returned in auxblob, base64 (may be absent). */
  certificates?: string;
  /** Software provider: the identity's signature over the labelled report data. */
  softwareSignature?: Hex;
}

const HEX = (bytes: number) => new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`);

export function parseEvidenceDocument(json: unknown, source = "evidence"): EvidenceDocument {
  const doc = json as EvidenceDocument | null;
  if (doc === null || typeof doc !== "object" || doc.format !== EVIDENCE_FORMAT) throw new Error(`${source} is not a ${EVIDENCE_FORMAT} document`);
  if (doc.version !== 1) throw new Error(`${source}: evidence version ${String(doc.version)} is not supported`);
  if (!["tdx", "sev-snp", "software"].includes(doc.provider)) throw new Error(`${source}: unknown provider ${String(doc.provider)}`);
  if (doc.identity === null || typeof doc.identity !== "object" || !HEX(65).test(String(doc.identity.publicKey)) || !HEX(20).test(String(doc.identity.address))) {
    throw new Error(`${source}: identity needs a 65-byte publicKey and an address`);
  }
  if (!HEX(64).test(String(doc.reportData))) throw new Error(`${source}: reportData must be 64 bytes of 0x-hex`);
  const binding = doc.binding;
  if (binding?.type === "identity") {
    if (!HEX(32).test(String(binding.nonce))) throw new Error(`${source}: binding.nonce must be 32 bytes of 0x-hex`);
  } else if (binding?.type === "statement") {
    parseSignedStatement(binding.statement, `${source}: binding.statement`);
  } else {
    throw new Error(`${source}: binding.type must be "identity" or "statement"`);
  }
  if (doc.provider === "software") {
    if (!HEX(65).test(String(doc.softwareSignature))) throw new Error(`${source}: software evidence needs a 65-byte softwareSignature`);
  } else if (typeof doc.evidence !== "string" || doc.evidence.length === 0) {
    throw new Error(`${source}: ${doc.provider} evidence needs the quote/report in "evidence" (base64)`);
  }
  return doc;
}

/**
 * What hardware evidence binds, in its 64 bytes of report data: SHA-256 of a label naming the kind
 * of binding and the bound bytes, then 32 zero bytes (SHA-256 so that a contract can recompute it
 * with the precompile). The labels keep an identity binding from ever reading as a statement one.
 */
import { createHash } from "node:crypto";

const IDENTITY_LABEL = "bulwark identity evidence v1\0";
const STATEMENT_LABEL = "bulwark statement evidence v1\0";
const SOFTWARE_LABEL = "bulwark software evidence v1\0";

export const NONCE_BYTES = 32;

function reportData(label: string, ...parts: Uint8Array[]): Buffer {
  const hash = createHash("sha256").update(label, "latin1");
  for (const part of parts) hash.update(part);
  return Buffer.concat([hash.digest(), Buffer.alloc(32)]);
}

/** Identity evidence: the identity's uncompressed secp256k1 public key (65 bytes) and the verifier's nonce. */
export function identityReportData(identityPublicKey: Uint8Array, nonce: Uint8Array): Buffer {
  if (identityPublicKey.length !== 65) throw new Error("identity public key must be 65 bytes (uncompressed secp256k1)");
  if (nonce.length !== NONCE_BYTES) throw new Error(`nonce must be ${NONCE_BYTES} bytes`);
  return reportData(IDENTITY_LABEL, identityPublicKey, nonce);
}

/** Per-statement evidence: the statement's EIP-712 digest. */
export function statementReportData(digest: Uint8Array): Buffer {
  if (digest.length !== 32) throw new Error("statement digest must be 32 bytes");
  return reportData(STATEMENT_LABEL, digest);
}

/** What the identity key signs in software evidence (no hardware): the report data, labelled. */
export function softwareEvidenceDigest(reportDataBytes: Uint8Array): Buffer {
  return createHash("sha256").update(SOFTWARE_LABEL, "latin1").update(reportDataBytes).digest();
}

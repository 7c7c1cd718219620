/**
 * Attested pool ceremonies. The aggregator's identity signs a PoolCeremony statement (composite key,
 * threshold, component keys, hash of the commitments, hash of each encrypted share file, deposit)
 * and binds it into hardware evidence; a joining operator verifies that evidence against the
 * measurements it expects and checks the statement is about this pool and its own share file
 * before it accepts the share. When presign-exit destroys the whole key, a WholeKeyDestroyed
 * statement says so.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { keccak256, type Hex } from "viem";
import type { Attestor } from "../../attestation/attestor.js";
import type { EvidenceDocument } from "../../attestation/evidence-document.js";
import { parseEvidenceDocument } from "../../attestation/evidence-document.js";
import type { PoolCeremonyMessage } from "../../attestation/statements.js";
import { verifyEvidenceFile, type FileVerification, type VerifyFileOptions } from "../../attestation/verify-file.js";
import type { PoolDefinition } from "../definition.js";
import { writeFileDurably } from "../../util/durable-file.js";
import { codedError } from "../../errors/bulwark-error.js";

export const CEREMONY_EVIDENCE_FILE = "ceremony-evidence.json";

const hex0x = (hex: string): Hex => `0x${hex.replace(/^0x/, "").toLowerCase()}`;

export function ceremonyStatementMessage(pool: PoolDefinition, shareFileBytes: readonly Uint8Array[]): PoolCeremonyMessage {
  const participants = [...pool.participants].sort((a, b) => a.id - b.id);
  return {
    genesisValidatorsRoot: hex0x(pool.genesisValidatorsRoot),
    compositePubkey: hex0x(pool.compositePublicKey),
    threshold: pool.threshold,
    componentPubkeys: participants.map((p) => hex0x(p.componentPublicKey)),
    commitmentsHash: keccak256(Buffer.concat(pool.commitments.map((c) => Buffer.from(c.replace(/^0x/, ""), "hex")))),
    encryptedShareHashes: shareFileBytes.map((bytes) => keccak256(bytes)),
    withdrawalCredentials: hex0x(pool.depositData.withdrawal_credentials),
    amountGwei: String(pool.depositData.amount),
    depositDataRoot: hex0x(pool.depositData.deposit_data_root),
  };
}

/** Signs the ceremony statement, binds it into evidence and writes OUT/ceremony-evidence.json. */
export async function attestCeremony(attestor: Attestor, pool: PoolDefinition, shareFiles: readonly string[], outDir: string): Promise<string> {
  const message = ceremonyStatementMessage(pool, shareFiles.map((path) => readFileSync(path)));
  const statement = await attestor.sign("PoolCeremony", message);
  const evidence = await attestor.statementEvidence(statement);
  const path = join(outDir, CEREMONY_EVIDENCE_FILE);
  writeFileDurably(path, JSON.stringify(evidence, null, 2) + "\n", { mode: 0o644 });
  return path;
}

/** Signs the statement that the whole key of `pool` is destroyed, binding the pre-signed exit file. */
export async function attestWholeKeyDestroyed(attestor: Attestor, pool: PoolDefinition, presignedExitFile: string): Promise<string> {
  const statement = await attestor.sign("WholeKeyDestroyed", {
    genesisValidatorsRoot: hex0x(pool.genesisValidatorsRoot),
    compositePubkey: hex0x(pool.compositePublicKey),
    presignedExitHash: keccak256(readFileSync(presignedExitFile)),
  });
  const evidence = await attestor.statementEvidence(statement);
  const path = `${presignedExitFile.replace(/\.json$/, "")}.whole-key-destroyed.json`;
  writeFileDurably(path, JSON.stringify(evidence, null, 2) + "\n", { mode: 0o644 });
  return path;
}

export class CeremonyAttestationError extends codedError("ceremony-attestation") {
  override name = "CeremonyAttestationError";
}

export interface RequireCeremonyOptions extends Omit<VerifyFileOptions, "statements" | "nonce" | "reportData"> {
  pool: PoolDefinition;
  poolFile: string;
  shareFile: string;
  /** Default: ceremony-evidence.json next to the pool file. */
  evidenceFile?: string;
}

/**
 * Verifies the ceremony evidence (hardware, binding, measurements) and that its statement is this
 * pool's ceremony and names this share file. Throws with every failed check.
 */
export async function requireCeremonyAttestation(options: RequireCeremonyOptions): Promise<FileVerification> {
  const evidenceFile = options.evidenceFile ?? join(dirname(options.poolFile), CEREMONY_EVIDENCE_FILE);
  let bytes: Buffer;
  try {
    bytes = readFileSync(evidenceFile);
  } catch (err) {
    throw new CeremonyAttestationError(`cannot read the ceremony evidence ${evidenceFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: EvidenceDocument;
  try {
    doc = parseEvidenceDocument(JSON.parse(bytes.toString("utf8")), evidenceFile);
  } catch (err) {
    throw new CeremonyAttestationError((err as Error).message);
  }
  if (doc.binding.type !== "statement" || doc.binding.statement.primaryType !== "PoolCeremony") {
    throw new CeremonyAttestationError(`${evidenceFile} does not bind a PoolCeremony statement`);
  }
  const { pool, poolFile, shareFile, evidenceFile: _unused, ...verifyOptions } = options;
  const result = await verifyEvidenceFile(bytes, verifyOptions);
  const problems = result.checks.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
  const stated = doc.binding.statement.message as PoolCeremonyMessage;
  const shareHash = keccak256(readFileSync(shareFile));
  const expected = ceremonyStatementMessage(pool, []);
  for (const field of ["genesisValidatorsRoot", "compositePubkey", "threshold", "commitmentsHash", "withdrawalCredentials", "amountGwei", "depositDataRoot"] as const) {
    if (String(stated[field]).toLowerCase() !== String(expected[field]).toLowerCase()) problems.push(`statement: ${field} is ${String(stated[field])}, the pool in ${poolFile} has ${String(expected[field])}`);
  }
  if (JSON.stringify(stated.componentPubkeys.map((k) => k.toLowerCase())) !== JSON.stringify(expected.componentPubkeys)) {
    problems.push("statement: component keys differ from the pool definition's");
  }
  if (!stated.encryptedShareHashes.map((h) => h.toLowerCase()).includes(shareHash)) {
    problems.push(`statement: ${shareFile} is not one of the encrypted shares the attested ceremony made`);
  }
  if (problems.length > 0) throw new CeremonyAttestationError(`ceremony attestation refused (${evidenceFile}):\n  ${problems.join("\n  ")}`);
  return result;
}

/**
 * The signer's attestation: its identity, where its evidence comes from (configfs-tsm hardware, or
 * software for development), and the statements it makes about keys generated inside it.
 */
import type { Hex } from "viem";
import type { GeneratedKey } from "../core/api.js";
import { identityReportData, NONCE_BYTES, statementReportData } from "./binding.js";
import { EVIDENCE_FORMAT, type EvidenceBinding, type EvidenceDocument } from "./evidence-document.js";
import type { EvidenceProvider } from "./evidence-provider.js";
import type { SignerIdentity } from "./identity-key.js";
import { writeProvenance } from "./provenance-store.js";
import { statementDigest, statementSigner, type SignedStatement, type StatementMessages, type StatementType } from "./statements.js";
import { codedError } from "../errors/bulwark-error.js";

export type AttestationMode = "tdx" | "sev-snp" | "software" | "off";

export class AttestationError extends codedError("attestation") {
  override name = "AttestationError";
}

const hex = (bytes: Uint8Array): Hex => `0x${Buffer.from(bytes).toString("hex")}`;

export class Attestor {
  constructor(
    readonly identity: SignerIdentity,
    private readonly provider: EvidenceProvider,
    private readonly dataDir: string,
    private readonly genesisValidatorsRoot: Hex,
  ) {}

  get providerName(): EvidenceProvider["name"] {
    return this.provider.name;
  }

  /** Evidence that this identity runs here, fresh for the caller's nonce. */
  async identityEvidence(nonce: Uint8Array): Promise<EvidenceDocument> {
    if (nonce.length !== NONCE_BYTES) throw new AttestationError(`nonce: expected ${NONCE_BYTES} bytes`);
    const reportData = identityReportData(Buffer.from(this.identity.publicKey.slice(2), "hex"), nonce);
    return this.document({ type: "identity", nonce: hex(nonce) }, reportData);
  }

  /** One piece of hardware evidence for one statement, which must be this identity's own. */
  async statementEvidence(statement: SignedStatement): Promise<EvidenceDocument> {
    const signer = await statementSigner(statement).catch(() => undefined);
    if (signer === undefined || signer.toLowerCase() !== this.identity.address.toLowerCase()) {
      throw new AttestationError("evidence is made only for statements this signer's identity signed");
    }
    const digest = statementDigest(statement.primaryType, statement.message);
    return this.document({ type: "statement", statement }, statementReportData(Buffer.from(digest.slice(2), "hex")));
  }

  sign<T extends StatementType>(primaryType: T, message: StatementMessages[T]): Promise<SignedStatement<T>> {
    return this.identity.signStatement(primaryType, message);
  }

  /** Signs and records the provenance statement of each key (before the caller seals the keys). */
  async recordKeyProvenance(keys: readonly GeneratedKey[]): Promise<SignedStatement[]> {
    const statements: SignedStatement[] = [];
    for (const key of keys) {
      const statement = await this.sign("KeyProvenance", {
        genesisValidatorsRoot: this.genesisValidatorsRoot,
        pubkey: key.pubkey as Hex,
        withdrawalCredentials: `0x${key.depositData.withdrawal_credentials.replace(/^0x/, "")}`,
        amountGwei: String(key.depositData.amount),
        depositDataRoot: `0x${key.depositData.deposit_data_root.replace(/^0x/, "")}`,
        generatedInside: true,
        notExportable: true,
      });
      writeProvenance(this.dataDir, key.pubkey, statement);
      statements.push(statement);
    }
    return statements;
  }

  private async document(binding: EvidenceBinding, reportData: Buffer): Promise<EvidenceDocument> {
    const base = {
      format: EVIDENCE_FORMAT as typeof EVIDENCE_FORMAT,
      version: 1 as const,
      provider: this.provider.name,
      identity: { publicKey: this.identity.publicKey, address: this.identity.address },
      binding,
      reportData: hex(reportData),
    };
    const provided = await this.provider.evidence(reportData);
    return {
      ...base,
      ...(provided.evidence !== undefined ? { evidence: provided.evidence.toString("base64") } : {}),
      ...(provided.certificates !== undefined ? { certificates: provided.certificates.toString("base64") } : {}),
      ...(provided.softwareSignature !== undefined ? { softwareSignature: provided.softwareSignature } : {}),
    };
  }
}

/**
 * Software evidence, for development without confidential-VM hardware: the identity key signs the
 * labelled report data. It proves nothing about where the key lives (the host could run the same
 * program), so evidence documents label it "software" and every verifier refuses it unless told
 * `--allow-software`.
 */
import type { EvidenceProvider, ProvidedEvidence } from "./evidence-provider.js";
import type { SignerIdentity } from "./identity-key.js";

export class SoftwareEvidenceProvider implements EvidenceProvider {
  readonly name = "software" as const;

  constructor(private readonly identity: SignerIdentity) {}

  async evidence(reportData: Buffer): Promise<ProvidedEvidence> {
    if (reportData.length !== 64) throw new Error("report data must be 64 bytes");
    return { softwareSignature: await this.identity.signSoftwareEvidence(reportData) };
  }
}

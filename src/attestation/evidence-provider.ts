/**
 * Where evidence comes from, behind one interface so the rest of Bulwark does not care which
 * confidential VM it runs in: TDX and SEV-SNP through configfs-tsm (configfs-tsm.ts), or software
 * (software-evidence.ts), which every verifier refuses unless told otherwise.
 */
import type { Hex } from "viem";

export interface ProvidedEvidence {
  /** Hardware: the TDX quote or SEV-SNP report (configfs-tsm outblob). */
  evidence?: Buffer;
  /** SEV-SNP: the certificate table (auxblob), when the host supplies one. */
  certificates?: Buffer;
  /** Software: the identity's signature over the labelled report data. */
  softwareSignature?: Hex;
}

export interface EvidenceProvider {
  readonly name: "tdx" | "sev-snp" | "software";
  /** Evidence whose report data is exactly `reportData` (64 bytes); refuses evidence that is not. */
  evidence(reportData: Buffer): Promise<ProvidedEvidence>;
}

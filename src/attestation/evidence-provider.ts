/**
 * Where hardware evidence comes from: one interface for TDX and SEV-SNP (both through configfs-tsm)
 * so the rest of Bulwark does not care which confidential VM it runs in.
 */

export interface HardwareEvidence {
  /** The TDX quote or SEV-SNP report (configfs-tsm outblob). */
  evidence: Buffer;
  /** SEV-SNP: the certificate table (auxblob), when the host supplies one. */
  certificates?: Buffer;
}

export interface HardwareEvidenceProvider {
  readonly name: "tdx" | "sev-snp";
  /** Evidence whose report data is exactly `reportData` (64 bytes); refuses evidence that is not. */
  evidence(reportData: Buffer): Promise<HardwareEvidence>;
}

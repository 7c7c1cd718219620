/**
 * The AMD SEV-SNP ATTESTATION_REPORT (SEV-SNP firmware ABI, table "ATTESTATION_REPORT Structure"),
 * versions 2 and 3: 1184 bytes, the first 0x2A0 signed with ECDSA P-384 / SHA-384 by the VCEK or VLEK.
 */

export const SNP_REPORT_BYTES = 1184;
export const SNP_SIGNED_BYTES = 0x2a0;

export interface SnpTcbVersion {
  bootloader: number;
  tee: number;
  snp: number;
  microcode: number;
  /** The 8 raw bytes, hex. */
  raw: string;
}

export interface SnpReport {
  version: number;
  guestSvn: number;
  policy: bigint;
  vmpl: number;
  signatureAlgorithm: number;
  /** 0 = VCEK, 1 = VLEK (bits 2–4 of the flags word). */
  signingKey: number;
  chipIdMasked: boolean;
  reportData: Buffer;
  measurement: Buffer;
  hostData: Buffer;
  idKeyDigest: Buffer;
  reportId: Buffer;
  reportedTcb: SnpTcbVersion;
  /** Version 3 only: CPUID family/model/stepping of the chip. */
  cpuid: { family: number; model: number; stepping: number } | undefined;
  chipId: Buffer;
  /** The signature as r‖s, 48 bytes each, big-endian (what node:crypto's ieee-p1363 encoding wants). */
  signature: Buffer;
  signed: Buffer;
}

/** Policy bit 19: the hypervisor may debug the guest (read and write its memory). */
export const SNP_POLICY_DEBUG = 1n << 19n;
/** Policy bit 17 is reserved and must be one. */
const SNP_POLICY_RESERVED_ONE = 1n << 17n;

function tcbVersion(bytes: Buffer): SnpTcbVersion {
  return { bootloader: bytes[0]!, tee: bytes[1]!, snp: bytes[6]!, microcode: bytes[7]!, raw: bytes.toString("hex") };
}

/** A little-endian 72-byte signature component, as 48 big-endian bytes. */
function component(bytes: Buffer): Buffer {
  if (!bytes.subarray(48).every((b) => b === 0)) throw new Error("SNP report signature component wider than P-384");
  return Buffer.from(bytes.subarray(0, 48)).reverse();
}

export function parseSnpReport(bytes: Buffer): SnpReport {
  if (bytes.length !== SNP_REPORT_BYTES) throw new Error(`not an SEV-SNP report: ${bytes.length} bytes, expected ${SNP_REPORT_BYTES}`);
  const version = bytes.readUInt32LE(0);
  if (version !== 2 && version !== 3) throw new Error(`SEV-SNP report version ${version} is not supported (2 and 3 are)`);
  const policy = bytes.readBigUInt64LE(0x08);
  if ((policy & SNP_POLICY_RESERVED_ONE) === 0n) throw new Error(`not an SEV-SNP report: policy 0x${policy.toString(16)} has reserved bit 17 clear`);
  const flags = bytes.readUInt32LE(0x48);
  return {
    version,
    guestSvn: bytes.readUInt32LE(0x04),
    policy,
    vmpl: bytes.readUInt32LE(0x30),
    signatureAlgorithm: bytes.readUInt32LE(0x34),
    signingKey: (flags >> 2) & 0x7,
    chipIdMasked: (flags & 0x2) !== 0,
    reportData: bytes.subarray(0x50, 0x90),
    measurement: bytes.subarray(0x90, 0xc0),
    hostData: bytes.subarray(0xc0, 0xe0),
    idKeyDigest: bytes.subarray(0xe0, 0x110),
    reportId: bytes.subarray(0x140, 0x160),
    reportedTcb: tcbVersion(bytes.subarray(0x180, 0x188)),
    cpuid: version >= 3 ? { family: bytes[0x188]!, model: bytes[0x189]!, stepping: bytes[0x18a]! } : undefined,
    chipId: bytes.subarray(0x1a0, 0x1e0),
    signature: Buffer.concat([component(bytes.subarray(0x2a0, 0x2e8)), component(bytes.subarray(0x2e8, 0x330))]),
    signed: bytes.subarray(0, SNP_SIGNED_BYTES),
  };
}

/** The product a version-3 report names through its CPUID (family 0x19: models 0x0X Milan, 0x1X Genoa). */
export function productFromCpuid(cpuid: SnpReport["cpuid"]): "Milan" | "Genoa" | undefined {
  if (cpuid === undefined || cpuid.family !== 0x19) return undefined;
  if (cpuid.model <= 0x0f) return "Milan";
  if (cpuid.model <= 0x1f) return "Genoa";
  return undefined;
}

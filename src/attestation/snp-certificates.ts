/**
 * SEV-SNP signing certificates: the VCEK/VLEK given on its own (PEM or DER) or inside the GHCB
 * certificate table that configfs-tsm puts in `auxblob` (24-byte entries {GUID, offset u32 LE,
 * length u32 LE}, an all-zero entry last, offsets from the start of the table), and the AMD
 * extensions of a VCEK/VLEK (the TCB it was issued for, the chip it belongs to).
 */
import type { X509Certificate } from "node:crypto";
import { certificateFromBytes } from "./certificates.js";
import { certificateParts, readDer } from "./der.js";

const GUID_VCEK = "63da758d-e664-4564-adc5-f4b93be8accd";
const GUID_VLEK = "a8074bc2-a25a-483e-aae6-39c045a0b8a1";
const ENTRY_BYTES = 24;

function guidText(bytes: Buffer): string {
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The entries of a GHCB certificate table by GUID. */
export function parseCertificateTable(table: Buffer): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  for (let offset = 0; ; offset += ENTRY_BYTES) {
    if (offset + ENTRY_BYTES > table.length) throw new Error("certificate table has no terminating entry");
    const guid = table.subarray(offset, offset + 16);
    const start = table.readUInt32LE(offset + 16);
    const length = table.readUInt32LE(offset + 20);
    if (guid.every((b) => b === 0)) break;
    if (start + length > table.length || start < offset + ENTRY_BYTES) throw new Error(`certificate table entry ${guidText(guid)} points outside the table`);
    entries.set(guidText(guid), table.subarray(start, start + length));
  }
  return entries;
}

/** Whether the bytes look like a GHCB certificate table rather than one certificate. */
export function isCertificateTable(bytes: Buffer): boolean {
  if (bytes.length < ENTRY_BYTES || bytes[0] === 0x30 || bytes.toString("latin1", 0, 11) === "-----BEGIN ") return false;
  try {
    parseCertificateTable(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The VCEK or VLEK from `--collateral` or an evidence document's certificate bytes. */
export function snpSigningCertificate(bytes: Buffer, signingKey: number): X509Certificate {
  if (isCertificateTable(bytes)) {
    const entries = parseCertificateTable(bytes);
    const wanted = signingKey === 1 ? GUID_VLEK : GUID_VCEK;
    const der = entries.get(wanted);
    if (der === undefined) throw new Error(`certificate table has no ${signingKey === 1 ? "VLEK" : "VCEK"} entry (${wanted})`);
    return certificateFromBytes(der);
  }
  return certificateFromBytes(bytes);
}

const OID_PRODUCT_NAME = "1.3.6.1.4.1.3704.1.2";
const OID_HWID = "1.3.6.1.4.1.3704.1.4";
const SPL_OIDS = { bootloader: "1.3.6.1.4.1.3704.1.3.1", tee: "1.3.6.1.4.1.3704.1.3.2", snp: "1.3.6.1.4.1.3704.1.3.3", microcode: "1.3.6.1.4.1.3704.1.3.8" } as const;

export interface AmdKeyExtensions {
  productName: string | undefined;
  hwId: Buffer | undefined;
  tcb: { bootloader: number; tee: number; snp: number; microcode: number };
}

function derInteger(value: Buffer): number {
  const node = readDer(value);
  if (node.tag !== 0x02 || node.content.length > 4) throw new Error("AMD TCB extension is not a small INTEGER");
  return node.content.reduce((n, b) => n * 256 + b, 0);
}

export function amdKeyExtensions(cert: X509Certificate): AmdKeyExtensions {
  const { extensions } = certificateParts(cert.raw);
  const tcb = {} as AmdKeyExtensions["tcb"];
  for (const [name, oid] of Object.entries(SPL_OIDS) as Array<[keyof typeof SPL_OIDS, string]>) {
    const value = extensions.get(oid);
    if (value === undefined) throw new Error(`VCEK/VLEK has no ${name} SPL extension (${oid})`);
    tcb[name] = derInteger(value);
  }
  const name = extensions.get(OID_PRODUCT_NAME);
  let hwId = extensions.get(OID_HWID);
  if (hwId !== undefined && hwId.length !== 64 && hwId[0] === 0x04) hwId = readDer(hwId).content;
  return { productName: name === undefined ? undefined : readDer(name).content.toString("utf8"), hwId, tcb };
}

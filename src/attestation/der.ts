/**
 * The little DER reading the verifier needs that node:crypto does not offer: the parts of a
 * certificate revocation list (issuer, dates, signed bytes, signature) and the raw issuer/subject
 * names and extensions of a certificate. Only definite lengths (DER never uses the other kind).
 */
import { codedError } from "../errors/bulwark-error.js";

export interface DerNode {
  tag: number;
  /** The whole element: tag, length and contents. */
  bytes: Buffer;
  /** The contents only. */
  content: Buffer;
}

export class DerError extends codedError("der") {
  override name = "DerError";
}

export function readDer(input: Buffer, offset = 0): DerNode {
  if (offset + 2 > input.length) throw new DerError("truncated DER element");
  const tag = input[offset]!;
  let length = input[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4 || offset + 2 + octets > input.length) throw new DerError("unsupported DER length");
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + input[offset + 2 + i]!;
    header += octets;
  }
  const end = offset + header + length;
  if (end > input.length) throw new DerError("DER element runs past its container");
  return { tag, bytes: input.subarray(offset, end), content: input.subarray(offset + header, end) };
}

/** The elements inside a SEQUENCE, SET or explicit tag. */
export function derChildren(node: DerNode): DerNode[] {
  const children: DerNode[] = [];
  let offset = 0;
  while (offset < node.content.length) {
    const child = readDer(node.content, offset);
    children.push(child);
    offset += child.bytes.length;
  }
  return children;
}

const TAG_UTC_TIME = 0x17;
const TAG_GENERALIZED_TIME = 0x18;

export function isDerTime(node: DerNode): boolean {
  return node.tag === TAG_UTC_TIME || node.tag === TAG_GENERALIZED_TIME;
}

export function derTime(node: DerNode): Date {
  const text = node.content.toString("ascii");
  let match: RegExpMatchArray | null;
  if (node.tag === TAG_UTC_TIME && (match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    const year = Number(match[1]) < 50 ? 2000 + Number(match[1]) : 1900 + Number(match[1]);
    return new Date(Date.UTC(year, Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])));
  }
  if (node.tag === TAG_GENERALIZED_TIME && (match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])));
  }
  throw new DerError(`unsupported time encoding ${JSON.stringify(text)}`);
}

/** Dotted form of an OBJECT IDENTIFIER's contents. */
export function derOid(content: Buffer): string {
  const parts: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join(".");
}

export interface CertificateParts {
  issuer: Buffer;
  subject: Buffer;
  /** Extension OID → the extnValue OCTET STRING contents. */
  extensions: Map<string, Buffer>;
}

/** The raw names and extensions of an X.509 certificate (DER). */
export function certificateParts(der: Buffer): CertificateParts {
  const tbs = derChildren(derChildren(readDer(der))[0]!);
  const fields = tbs[0]!.tag === 0xa0 ? tbs.slice(1) : tbs; // [0] version is optional
  // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, [1], [2], [3] extensions
  const extensions = new Map<string, Buffer>();
  const explicitExtensions = fields.slice(6).find((node) => node.tag === 0xa3);
  if (explicitExtensions !== undefined) {
    for (const extension of derChildren(derChildren(explicitExtensions)[0]!)) {
      const parts = derChildren(extension);
      const value = parts[parts.length - 1]!;
      extensions.set(derOid(parts[0]!.content), value.content);
    }
  }
  return { issuer: fields[2]!.bytes, subject: fields[4]!.bytes, extensions };
}

export interface CrlParts {
  /** The signed part (tbsCertList), whole element. */
  signed: Buffer;
  signatureAlgorithm: string;
  /** The signature BIT STRING contents without the unused-bits octet. */
  signature: Buffer;
  issuer: Buffer;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
}

export function crlParts(der: Buffer): CrlParts {
  const outer = readDer(der);
  if (outer.bytes.length !== der.length) throw new DerError("trailing bytes after the CRL");
  const [tbs, algorithm, signature] = derChildren(outer);
  if (tbs === undefined || algorithm === undefined || signature === undefined || signature.tag !== 0x03) throw new DerError("not a certificate revocation list");
  const fields = derChildren(tbs);
  const rest = fields[0]!.tag === 0x02 ? fields.slice(1) : fields; // version is optional
  const [, issuer, thisUpdate, maybeNext] = rest;
  if (issuer === undefined || thisUpdate === undefined || !isDerTime(thisUpdate)) throw new DerError("CRL without issuer or thisUpdate");
  return {
    signed: tbs.bytes,
    signatureAlgorithm: derOid(derChildren(algorithm)[0]!.content),
    signature: signature.content.subarray(1),
    issuer: issuer.bytes,
    thisUpdate: derTime(thisUpdate),
    nextUpdate: maybeNext !== undefined && isDerTime(maybeNext) ? derTime(maybeNext) : undefined,
  };
}

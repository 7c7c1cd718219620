/** Certificates as they arrive in evidence: PEM text (one or several), or DER. */
import { X509Certificate } from "node:crypto";

export function certificatesFromPem(text: string): X509Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

/** One certificate, PEM or DER. */
export function certificateFromBytes(bytes: Buffer): X509Certificate {
  const text = bytes.toString("latin1");
  if (text.includes("-----BEGIN CERTIFICATE-----")) {
    const [first] = certificatesFromPem(text);
    if (first !== undefined) return first;
  }
  return new X509Certificate(bytes);
}

/** Whether the certificate is valid at `at` (notBefore ≤ at ≤ notAfter). */
export function validAt(cert: X509Certificate, at: Date): boolean {
  return new Date(cert.validFrom).getTime() <= at.getTime() && at.getTime() <= new Date(cert.validTo).getTime();
}

export function describeValidity(cert: X509Certificate): string {
  return `${new Date(cert.validFrom).toISOString()} .. ${new Date(cert.validTo).toISOString()}`;
}

/** Common name of a certificate's subject, for messages. */
export function commonName(cert: X509Certificate): string {
  return /CN=([^\n]+)/.exec(cert.subject)?.[1] ?? cert.subject;
}

/**
 * Checks that each certificate is signed by the next and the last by `anchor`, all valid at `at`.
 * Throws with the first link that does not hold.
 */
export function verifyChain(chain: readonly X509Certificate[], anchor: X509Certificate, at: Date): void {
  const links = [...chain];
  // A chain may end in a copy of the anchor itself: that copy must be byte-identical.
  const last = links[links.length - 1];
  if (last !== undefined && last.fingerprint256 === anchor.fingerprint256) links.pop();
  for (const [i, cert] of links.entries()) {
    const issuer = links[i + 1] ?? anchor;
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
      throw new Error(`${commonName(cert)} is not signed by ${commonName(issuer)}`);
    }
    if (!validAt(cert, at)) throw new Error(`${commonName(cert)} is not valid at ${at.toISOString()} (valid ${describeValidity(cert)})`);
  }
  if (!anchor.verify(anchor.publicKey)) throw new Error(`pinned root ${commonName(anchor)} is not self-signed`);
  if (!validAt(anchor, at)) throw new Error(`pinned root ${commonName(anchor)} is not valid at ${at.toISOString()}`);
}

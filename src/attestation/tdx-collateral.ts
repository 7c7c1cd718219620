/**
 * What @phala/dcap-qvl does not check in TDX collateral, done with node:crypto: the signatures and
 * dates of the two CRLs (root CA CRL by the pinned root; PCK CRL by the PCK platform/processor CA,
 * itself chained to the pinned root and the issuer of the quote's PCK certificate), and the
 * validity window of the whole collateral at the verification time.
 */
import { verify as verifySignature, type X509Certificate } from "node:crypto";
import type { Collateral } from "@phala/dcap-qvl";
import { certificatesFromPem, commonName, verifyChain } from "./certificates.js";
import { certificateParts, crlParts, type CrlParts } from "./der.js";

const ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";

export function collateralBytes(value: number[] | string): Buffer {
  return typeof value === "string" ? Buffer.from(value, "hex") : Buffer.from(value);
}

export interface CollateralWindow {
  from: Date;
  until: Date;
}

/** [latest issue date, earliest next update] over TCB info, QE identity and both CRLs. */
export function collateralWindow(collateral: Collateral): CollateralWindow {
  const tcbInfo = JSON.parse(collateral.tcb_info) as { issueDate: string; nextUpdate: string };
  const qeIdentity = JSON.parse(collateral.qe_identity) as { issueDate: string; nextUpdate: string };
  const crls = [crlParts(collateralBytes(collateral.root_ca_crl)), crlParts(collateralBytes(collateral.pck_crl))];
  const starts = [new Date(tcbInfo.issueDate), new Date(qeIdentity.issueDate), ...crls.map((c) => c.thisUpdate)];
  const ends = [new Date(tcbInfo.nextUpdate), new Date(qeIdentity.nextUpdate)];
  for (const crl of crls) {
    if (crl.nextUpdate === undefined) throw new Error("a CRL has no nextUpdate: its freshness cannot be judged");
    ends.push(crl.nextUpdate);
  }
  if ([...starts, ...ends].some((d) => Number.isNaN(d.getTime()))) throw new Error("a collateral date is not a valid time");
  return { from: new Date(Math.max(...starts.map((d) => d.getTime()))), until: new Date(Math.min(...ends.map((d) => d.getTime()))) };
}

function checkCrlSignature(crl: CrlParts, issuer: X509Certificate, what: string): void {
  if (crl.signatureAlgorithm !== ECDSA_WITH_SHA256) throw new Error(`${what} is signed with ${crl.signatureAlgorithm}, not ECDSA with SHA-256`);
  if (!crl.issuer.equals(certificateParts(issuer.raw).subject)) throw new Error(`${what} is not issued by ${commonName(issuer)}`);
  if (!verifySignature("sha256", crl.signed, issuer.publicKey, crl.signature)) throw new Error(`${what} signature does not verify with ${commonName(issuer)}`);
}

/**
 * Checks both CRL signatures. `pckCertificate` is the quote's PCK leaf: the PCK CRL must come from
 * its issuer.
 */
export function verifyCrlSignatures(collateral: Collateral, root: X509Certificate, pckCertificate: X509Certificate, at: Date): string {
  checkCrlSignature(crlParts(collateralBytes(collateral.root_ca_crl)), root, "root CA CRL");
  const issuerChain = certificatesFromPem(collateral.pck_crl_issuer_chain);
  const pckCrlIssuer = issuerChain[0];
  if (pckCrlIssuer === undefined) throw new Error("pck_crl_issuer_chain holds no certificate");
  verifyChain(issuerChain, root, at);
  if (!certificateParts(pckCertificate.raw).issuer.equals(certificateParts(pckCrlIssuer.raw).subject)) {
    throw new Error(`PCK CRL comes from ${commonName(pckCrlIssuer)}, not from the issuer of the quote's PCK certificate`);
  }
  checkCrlSignature(crlParts(collateralBytes(collateral.pck_crl)), pckCrlIssuer, "PCK CRL");
  return `root CA CRL signed by ${commonName(root)}, PCK CRL signed by ${commonName(pckCrlIssuer)}`;
}

/**
 * Verifies a Bulwark evidence document: the binding (report data recomputed from the identity and
 * nonce, or from the statement, whose signature must be the identity's), then the hardware evidence
 * with the measurements the operator published, or software evidence only when allowed. Statements
 * given alongside must be signed by the identity the evidence verified.
 */
import type { Collateral } from "@phala/dcap-qvl";
import { recoverAddress, type Hex } from "viem";
import { publicKeyToAddress } from "viem/accounts";
import { identityReportData, softwareEvidenceDigest, statementReportData } from "./binding.js";
import { CheckList } from "./checks.js";
import type { EvidenceDocument } from "./evidence-document.js";
import type { ExpectedMeasurements } from "./expected-measurements.js";
import { verifySnpReport } from "./snp-verify.js";
import { statementDigest, statementSigner, type SignedStatement } from "./statements.js";
import { verifyTdxQuote } from "./tdx-verify.js";

export interface EvidenceVerifyOptions {
  at: Date;
  expected?: ExpectedMeasurements;
  /** TDX collateral (dcap-qvl JSON). */
  tdxCollateral?: Collateral;
  /** SEV-SNP VCEK/VLEK or certificate table; the document's own certificates otherwise. */
  snpCertificate?: Buffer;
  acceptTcb?: readonly string[];
  allowSoftware?: boolean;
  /** The nonce the verifier asked for, when it did. */
  nonce?: Hex;
  statements?: readonly SignedStatement[];
}

export interface EvidenceVerification {
  provider: EvidenceDocument["provider"];
  checks: CheckList;
  /** Measurements and report data read from the hardware evidence, for display. */
  details: Record<string, string>;
}

function hexBytes(hex: string): Buffer {
  return Buffer.from(hex.slice(2), "hex");
}

async function checkStatement(checks: CheckList, statement: SignedStatement, identity: Hex, what: string): Promise<void> {
  try {
    const signer = await statementSigner(statement);
    if (signer.toLowerCase() !== identity.toLowerCase()) checks.fail("statement-signature", `${what} is signed by ${signer}, not by the attested identity ${identity}`);
    else if (statement.signer.toLowerCase() !== identity.toLowerCase()) checks.fail("statement-signature", `${what} names signer ${statement.signer}, not ${identity}`);
    else checks.pass("statement-signature", `${what} signed by the attested identity ${identity}`);
  } catch (err) {
    checks.fail("statement-signature", `${what}: ${(err as Error).message.split("\n")[0]}`);
  }
}

export async function verifyEvidenceDocument(doc: EvidenceDocument, options: EvidenceVerifyOptions): Promise<EvidenceVerification> {
  let checks = new CheckList();
  const details: Record<string, string> = {};
  const identityAddress = publicKeyToAddress(doc.identity.publicKey);
  let expectedReportData: Buffer | undefined;
  if (identityAddress.toLowerCase() !== doc.identity.address.toLowerCase()) {
    checks.fail("report-data", `identity address ${doc.identity.address} is not the address of its public key (${identityAddress})`);
  } else if (doc.binding.type === "identity") {
    expectedReportData = identityReportData(hexBytes(doc.identity.publicKey), hexBytes(doc.binding.nonce));
    if (options.nonce !== undefined && options.nonce.toLowerCase() !== doc.binding.nonce.toLowerCase()) {
      checks.fail("report-data", `evidence answers nonce ${doc.binding.nonce}, not the nonce asked for (${options.nonce})`);
    }
  } else {
    const statement = doc.binding.statement;
    expectedReportData = statementReportData(hexBytes(statementDigest(statement.primaryType, statement.message)));
    await checkStatement(checks, statement, identityAddress, `bound ${statement.primaryType} statement`);
  }
  if (expectedReportData !== undefined && !hexBytes(doc.reportData).equals(expectedReportData)) {
    checks.fail("report-data", `document reportData ${doc.reportData.slice(0, 18)}… is not the binding recomputed from its ${doc.binding.type}`);
  } else if (expectedReportData !== undefined) {
    checks.pass("report-data", `reportData is the binding recomputed from the ${doc.binding.type === "identity" ? "identity key and nonce" : "statement"}`);
  }

  const hardwareOptions = { at: options.at, ...(expectedReportData !== undefined ? { reportData: expectedReportData } : {}) };
  if (doc.provider === "tdx") {
    const quote = Buffer.from(doc.evidence!, "base64");
    const result = verifyTdxQuote(quote, options.tdxCollateral, { ...hardwareOptions, acceptTcb: options.acceptTcb ?? [], expected: options.expected?.tdx });
    checks = merge(checks, result.checks);
    if (result.quote !== undefined) Object.assign(details, result.quote.measurements, { reportData: result.quote.reportData.toString("hex") });
    if (options.expected?.tdx === undefined) checks.fail("measurements", "no expected TDX measurements (give --expect with a \"tdx\" section)");
  } else if (doc.provider === "sev-snp") {
    const certificate = options.snpCertificate ?? (doc.certificates !== undefined ? Buffer.from(doc.certificates, "base64") : undefined);
    const result = verifySnpReport(Buffer.from(doc.evidence!, "base64"), certificate, { ...hardwareOptions, expected: options.expected?.sevSnp });
    checks = merge(checks, result.checks);
    if (result.report !== undefined) Object.assign(details, { measurement: result.report.measurement.toString("hex"), reportData: result.report.reportData.toString("hex") });
    if (options.expected?.sevSnp === undefined) checks.fail("measurements", "no expected SEV-SNP measurement (give --expect with a \"sevSnp\" section)");
  } else {
    try {
      const digest = softwareEvidenceDigest(hexBytes(doc.reportData));
      const signer = await recoverAddress({ hash: `0x${digest.toString("hex")}`, signature: doc.softwareSignature! });
      if (signer.toLowerCase() !== identityAddress.toLowerCase()) throw new Error(`software evidence is signed by ${signer}, not the identity`);
      if (options.allowSoftware) checks.pass("software-evidence", "software evidence (no hardware; the host could have made it): accepted because of --allow-software");
      else checks.fail("software-evidence", "software evidence proves nothing about where the key lives (no hardware); refused without --allow-software");
    } catch (err) {
      checks.fail("software-evidence", (err as Error).message.split("\n")[0]!);
    }
  }
  for (const [i, statement] of (options.statements ?? []).entries()) {
    await checkStatement(checks, statement, identityAddress, `statement ${i + 1} (${statement.primaryType})`);
  }
  return { provider: doc.provider, checks, details };
}

function merge(first: CheckList, second: CheckList): CheckList {
  const merged = new CheckList();
  merged.checks.push(...first.checks, ...second.checks);
  return merged;
}

/**
 * `attestation verify FILE`: what kind of file it is (a Bulwark evidence document, a raw TDX quote,
 * binary or hex, or a raw SEV-SNP report) and the verification that fits it. Raw evidence gets the
 * hardware checks only (and measurements when given); documents get the binding as well.
 */
import type { Collateral } from "@phala/dcap-qvl";
import type { Hex } from "viem";
import { CheckList } from "./checks.js";
import { parseEvidenceDocument } from "./evidence-document.js";
import type { ExpectedMeasurements } from "./expected-measurements.js";
import { SNP_REPORT_BYTES } from "./snp-report.js";
import { verifySnpReport } from "./snp-verify.js";
import { STATEMENT_FORMAT, type SignedStatement } from "./statements.js";
import { verifyTdxQuote } from "./tdx-verify.js";
import { verifyEvidenceDocument } from "./verify-evidence.js";

export interface VerifyFileOptions {
  at: Date;
  expected?: ExpectedMeasurements;
  /** The --collateral file's bytes: TDX collateral JSON, or an SNP VCEK/VLEK or certificate table. */
  collateral?: Buffer;
  acceptTcb?: readonly string[];
  allowSoftware?: boolean;
  nonce?: Hex;
  /** Raw evidence only: the report data the verifier expects. */
  reportData?: Buffer;
  statements?: readonly SignedStatement[];
}

export interface FileVerification {
  /** "evidence document (tdx)", "TDX quote", … */
  kind: string;
  provider: "tdx" | "sev-snp" | "software" | undefined;
  checks: CheckList;
  details: Record<string, string>;
}

function tdxCollateral(bytes: Buffer | undefined): Collateral | undefined {
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(bytes.toString("utf8")) as Collateral;
  } catch (err) {
    throw new Error(`--collateral: not TDX collateral JSON (${(err as Error).message})`);
  }
}

function asJson(bytes: Buffer): unknown {
  const text = bytes.toString("utf8").trimStart();
  if (!text.startsWith("{")) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function rawQuoteBytes(bytes: Buffer): Buffer {
  const text = bytes.toString("latin1").trim().replace(/^0x/, "");
  return /^(?:[0-9a-fA-F]{2})+$/.test(text) && text.length > 2 * 1020 ? Buffer.from(text, "hex") : bytes;
}

export async function verifyEvidenceFile(bytes: Buffer, options: VerifyFileOptions): Promise<FileVerification> {
  const json = asJson(bytes);
  if (json !== undefined) {
    if ((json as { format?: unknown }).format === STATEMENT_FORMAT) {
      throw new Error("this is a Bulwark statement, which proves nothing alone: verify the signer's identity evidence and give the statement with it (attestation verify EVIDENCE --statement FILE)");
    }
    if (options.reportData !== undefined) throw new Error("--report-data is for raw quotes and reports; an evidence document carries its own binding");
    const doc = parseEvidenceDocument(json);
    const isTdx = doc.provider === "tdx";
    const result = await verifyEvidenceDocument(doc, {
      at: options.at,
      ...(options.expected !== undefined ? { expected: options.expected } : {}),
      ...(isTdx ? { tdxCollateral: tdxCollateral(options.collateral) } : options.collateral !== undefined ? { snpCertificate: options.collateral } : {}),
      acceptTcb: options.acceptTcb ?? [],
      allowSoftware: options.allowSoftware ?? false,
      ...(options.nonce !== undefined ? { nonce: options.nonce } : {}),
      statements: options.statements ?? [],
    });
    return { kind: `evidence document (${doc.provider}, ${doc.binding.type} binding)`, provider: doc.provider, checks: result.checks, details: result.details };
  }
  if ((options.statements ?? []).length > 0) throw new Error("--statement needs an evidence document: a raw quote or report names no identity");
  if (bytes.length === SNP_REPORT_BYTES) {
    const result = verifySnpReport(bytes, options.collateral, {
      at: options.at,
      ...(options.expected?.sevSnp !== undefined ? { expected: options.expected.sevSnp } : {}),
      ...(options.reportData !== undefined ? { reportData: options.reportData } : {}),
    });
    const details: Record<string, string> = {};
    if (result.report !== undefined) {
      Object.assign(details, {
        version: String(result.report.version),
        ...(result.product !== undefined ? { product: result.product } : {}),
        policy: `0x${result.report.policy.toString(16)}`,
        vmpl: String(result.report.vmpl),
        reportedTcb: result.report.reportedTcb.raw,
        measurement: result.report.measurement.toString("hex"),
        hostData: result.report.hostData.toString("hex"),
        reportData: result.report.reportData.toString("hex"),
      });
    }
    return { kind: "SEV-SNP report", provider: "sev-snp", checks: result.checks, details };
  }
  const quote = rawQuoteBytes(bytes);
  const result = verifyTdxQuote(quote, tdxCollateral(options.collateral), {
    at: options.at,
    acceptTcb: options.acceptTcb ?? [],
    ...(options.expected?.tdx !== undefined ? { expected: options.expected.tdx } : {}),
    ...(options.reportData !== undefined ? { reportData: options.reportData } : {}),
  });
  const details: Record<string, string> = {};
  if (result.quote !== undefined) {
    Object.assign(details, result.quote.measurements, {
      teeTcbSvn: result.quote.teeTcbSvn,
      tdAttributes: result.quote.tdAttributes,
      xfam: result.quote.xfam,
      ...(result.tcbStatus !== undefined ? { tcbStatus: result.tcbStatus } : {}),
      reportData: result.quote.reportData.toString("hex"),
    });
  }
  return { kind: "TDX quote", provider: "tdx", checks: result.checks, details };
}

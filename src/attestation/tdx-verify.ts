/**
 * Verifies an Intel TDX quote v4: @phala/dcap-qvl for the quote and QE report signatures, the QE
 * identity, the TCB info and its chain (against our pinned root, not its own copy), plus what it
 * leaves out (CRL signatures and dates, the collateral window), the PCK chain once more against the
 * pinned root, TCB status policy, TD attributes, measurement registers and REPORTDATA.
 */
import type { Collateral, TcbStatus } from "@phala/dcap-qvl";
import { QuoteVerifier } from "@phala/dcap-qvl";
import { CheckList, type CheckName } from "./checks.js";
import { verifyChain } from "./certificates.js";
import type { ExpectedMeasurements } from "./expected-measurements.js";
import { INTEL_SGX_ROOT_CA, loadPinned } from "./pinned-roots.js";
import { checkReportData } from "./report-data.js";
import { collateralWindow, verifyCrlSignatures } from "./tdx-collateral.js";
import { parseTdxQuote, type TdxQuote } from "./tdx-quote.js";

export interface TdxVerifyOptions {
  at: Date;
  /** TCB statuses accepted besides UpToDate. */
  acceptTcb?: readonly string[];
  expected?: ExpectedMeasurements["tdx"];
  reportData?: Buffer;
}

export interface TdxVerification {
  kind: "tdx";
  checks: CheckList;
  quote: TdxQuote | undefined;
  tcbStatus: TcbStatus | undefined;
  advisoryIds: string[];
}

/** Which check a dcap-qvl refusal belongs to, from its message. */
function dcapCheckName(message: string): CheckName {
  if (/expired|in the future/i.test(message)) return "collateral-validity";
  if (/ISV enclave report signature/.test(message)) return "quote-signature";
  if (/qe_report|QE report|QE MRSIGNER|QE ISVPRODID|QE MISCSELECT|QE ATTRIBUTES|QE ISVSVN|QE Identity id/i.test(message)) return "qe-report";
  if (/tcb_info|qe_identity|TCB Info|TcbInfo|Fmspc|non-TDX TCB info/i.test(message)) return "collateral-signatures";
  if (/TCB level|TCB status|TCB levels/i.test(message)) return "tcb-status";
  if (/Debug mode|TD attributes|SEPT_VE_DISABLE|mr service td/i.test(message)) return "td-attributes";
  if (/certificate|revoked|CaUsedAsEndEntity|PCK/i.test(message)) return "pck-chain";
  return "quote-signature";
}

export function verifyTdxQuote(bytes: Buffer, collateral: Collateral | undefined, options: TdxVerifyOptions): TdxVerification {
  const checks = new CheckList();
  const result: TdxVerification = { kind: "tdx", checks, quote: undefined, tcbStatus: undefined, advisoryIds: [] };
  let quote: TdxQuote;
  try {
    quote = parseTdxQuote(bytes);
  } catch (err) {
    checks.fail("evidence-format", (err as Error).message);
    return result;
  }
  result.quote = quote;
  checks.pass("evidence-format", "TDX quote v4, TD report 1.0, PCK chain inside");
  const root = loadPinned(INTEL_SGX_ROOT_CA);
  const at = options.at;

  checks.run("pck-chain", () => {
    verifyChain(quote.pckChain, root, at);
    return `PCK certificate chains to the pinned Intel SGX Root CA (${INTEL_SGX_ROOT_CA.fingerprint256.slice(0, 23)}…)`;
  });

  if (collateral === undefined) {
    checks.fail("collateral-validity", "no TDX collateral: give --collateral FILE (TCB info, QE identity, CRLs as @phala/dcap-qvl reads them)");
  } else {
    checks.run("collateral-validity", () => {
      const window = collateralWindow(collateral);
      const inside = window.from.getTime() <= at.getTime() && at.getTime() <= window.until.getTime();
      if (!inside) throw new Error(`collateral valid ${window.from.toISOString()} .. ${window.until.toISOString()}, not at ${at.toISOString()}`);
      return `collateral valid ${window.from.toISOString()} .. ${window.until.toISOString()}`;
    });
    checks.run("crl-signatures", () => {
      const leaf = quote.pckChain[0];
      if (leaf === undefined) throw new Error("the quote carries no PCK certificate");
      return verifyCrlSignatures(collateral, root, leaf, at);
    });
    try {
      const verified = QuoteVerifier.newWithRootCa(root.raw).verify(bytes, collateral, Math.floor(at.getTime() / 1000));
      result.tcbStatus = verified.status;
      result.advisoryIds = verified.advisory_ids;
      checks.pass("quote-signature", "quote signed by the attestation key, QE report signed by the PCK key, QE identity and TCB info signed by Intel");
    } catch (err) {
      const message = (err as Error).message;
      const name = dcapCheckName(message);
      // The collateral window above already names expired collateral; do not report it twice.
      if (!(name === "collateral-validity" && checks.failed("collateral-validity"))) checks.fail(name, `@phala/dcap-qvl: ${message}`);
    }
    if (result.tcbStatus !== undefined) {
      const accepted = ["UpToDate", ...(options.acceptTcb ?? [])];
      const advisories = result.advisoryIds.length > 0 ? ` (advisories ${result.advisoryIds.join(", ")})` : "";
      if (accepted.includes(result.tcbStatus)) checks.pass("tcb-status", `TCB ${result.tcbStatus}${advisories}`);
      else checks.fail("tcb-status", `TCB ${result.tcbStatus}${advisories}; only ${accepted.join(", ")} accepted (--accept-tcb)`);
    }
  }

  if (quote.debug) checks.fail("td-attributes", `TD_ATTRIBUTES ${quote.tdAttributes}: debug TD (the host can read its memory)`);
  else if (!quote.septVeDisable) checks.fail("td-attributes", `TD_ATTRIBUTES ${quote.tdAttributes}: SEPT_VE_DISABLE is clear`);
  else if (!checks.failed("td-attributes")) checks.pass("td-attributes", `TD_ATTRIBUTES ${quote.tdAttributes}: not a debug TD`);

  if (options.expected !== undefined) {
    const wrong: string[] = [];
    for (const [name, value] of Object.entries(options.expected)) {
      if (value === null || value === undefined) continue;
      const actual = quote.measurements[name as keyof TdxQuote["measurements"]];
      if (actual !== value) wrong.push(`${name.toUpperCase()} is ${actual}, expected ${value}`);
    }
    if (wrong.length > 0) checks.fail("measurements", wrong.join("; "));
    else checks.pass("measurements", `${Object.keys(options.expected).filter((k) => options.expected![k as "mrtd"] !== null).map((k) => k.toUpperCase()).join(", ")} as expected`);
  }
  checkReportData(checks, quote.reportData, options.reportData, "REPORTDATA");
  return result;
}

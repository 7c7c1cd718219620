/**
 * Verifies an AMD SEV-SNP attestation report with node:crypto: the P-384 signature by the VCEK or
 * VLEK, that key's chain to the pinned ARK of the product, that it was issued for this chip and this
 * reported TCB, the guest policy (debug refused), the VMPL, the reported TCB against a minimum, the
 * launch measurement and REPORT_DATA.
 */
import { verify as verifySignature, type X509Certificate } from "node:crypto";
import { CheckList } from "./checks.js";
import { commonName, describeValidity, validAt, verifyChain } from "./certificates.js";
import type { ExpectedMeasurements, SnpTcb } from "./expected-measurements.js";
import { AMD_PRODUCTS, loadPinned, type AmdProductRoots } from "./pinned-roots.js";
import { checkReportData } from "./report-data.js";
import { amdKeyExtensions, snpSigningCertificate } from "./snp-certificates.js";
import { parseSnpReport, productFromCpuid, SNP_POLICY_DEBUG, type SnpReport } from "./snp-report.js";

export interface SnpVerifyOptions {
  at: Date;
  expected?: ExpectedMeasurements["sevSnp"];
  reportData?: Buffer;
}

export interface SnpVerification {
  kind: "sev-snp";
  checks: CheckList;
  report: SnpReport | undefined;
  product: string | undefined;
}

const SIG_ALGO_ECDSA_P384_SHA384 = 1;

function issuerFor(roots: AmdProductRoots, vlek: boolean): X509Certificate | undefined {
  const pinned = vlek ? roots.asvk : roots.ask;
  return pinned === undefined ? undefined : loadPinned(pinned);
}

/** The product whose pinned ASK (VCEK) or ASVK (VLEK) issued `leaf`, checked against the report's CPUID when it has one. */
function productOf(leaf: X509Certificate, report: SnpReport): AmdProductRoots {
  const vlek = report.signingKey === 1;
  const named = productFromCpuid(report.cpuid);
  const candidates = AMD_PRODUCTS.filter((p) => named === undefined || p.product === named);
  for (const roots of candidates) {
    const issuer = issuerFor(roots, vlek);
    if (issuer !== undefined && leaf.checkIssued(issuer) && leaf.verify(issuer.publicKey)) return roots;
  }
  const what = vlek ? "VLEK" : "VCEK";
  throw new Error(`${what} ${commonName(leaf)} is not signed by a pinned ${vlek ? "ASVK" : "ASK"}${named !== undefined ? ` of ${named} (the report's CPUID)` : ""}`);
}

function atLeast(tcb: SnpReport["reportedTcb"], minimum: SnpTcb): string[] {
  return (["bootloader", "tee", "snp", "microcode"] as const).filter((k) => tcb[k] < minimum[k]).map((k) => `${k} ${tcb[k]} < ${minimum[k]}`);
}

export function verifySnpReport(bytes: Buffer, certificate: Buffer | undefined, options: SnpVerifyOptions): SnpVerification {
  const checks = new CheckList();
  const result: SnpVerification = { kind: "sev-snp", checks, report: undefined, product: undefined };
  let report: SnpReport;
  try {
    report = parseSnpReport(bytes);
  } catch (err) {
    checks.fail("evidence-format", (err as Error).message);
    return result;
  }
  result.report = report;
  if (report.signatureAlgorithm !== SIG_ALGO_ECDSA_P384_SHA384) {
    checks.fail("evidence-format", `signature algorithm ${report.signatureAlgorithm}, not ECDSA P-384 with SHA-384`);
  } else {
    checks.pass("evidence-format", `SEV-SNP report v${report.version}, signed by the ${report.signingKey === 1 ? "VLEK" : "VCEK"}`);
  }
  const at = options.at;
  const keyName = report.signingKey === 1 ? "VLEK" : "VCEK";

  let leaf: X509Certificate | undefined;
  if (report.signingKey !== 0 && report.signingKey !== 1) {
    checks.fail("signing-key", `report names signing key ${report.signingKey}, neither VCEK (0) nor VLEK (1)`);
  } else if (certificate === undefined) {
    checks.fail("signing-key", `no ${keyName} certificate: give --collateral with the ${keyName} (PEM or DER) or the certificate table from auxblob`);
  } else {
    try {
      leaf = snpSigningCertificate(certificate, report.signingKey);
    } catch (err) {
      checks.fail("signing-key", `cannot read the ${keyName} certificate: ${(err as Error).message}`);
    }
  }

  if (leaf !== undefined) {
    const signingKey = leaf;
    checks.run("certificate-chain", () => {
      const roots = productOf(signingKey, report);
      result.product = roots.product;
      const issuer = issuerFor(roots, report.signingKey === 1)!;
      verifyChain([signingKey, issuer], loadPinned(roots.ark), at);
      return `${keyName} ← ${commonName(issuer)} ← pinned ARK-${roots.product}, ${keyName} valid ${describeValidity(signingKey)}`;
    });
    if (!checks.failed("certificate-chain") && !validAt(signingKey, at)) checks.fail("certificate-chain", `${keyName} is not valid at ${at.toISOString()}`);
    checks.run("report-signature", () => {
      const ok = verifySignature("sha384", report.signed, { key: signingKey.publicKey, dsaEncoding: "ieee-p1363" }, report.signature);
      if (!ok) throw new Error(`report signature does not verify with the ${keyName}`);
      return `report signed by the ${keyName}`;
    });
    checks.run("signing-key", () => {
      const extensions = amdKeyExtensions(signingKey);
      if (report.signingKey === 0 && !report.chipIdMasked) {
        if (extensions.hwId === undefined || !extensions.hwId.equals(report.chipId)) throw new Error("VCEK was issued for another chip (hwID differs from CHIP_ID)");
      }
      const tcb = report.reportedTcb;
      const issuedFor = extensions.tcb;
      if (issuedFor.bootloader !== tcb.bootloader || issuedFor.tee !== tcb.tee || issuedFor.snp !== tcb.snp || issuedFor.microcode !== tcb.microcode) {
        throw new Error(`${keyName} was issued for TCB ${JSON.stringify(issuedFor)}, the report states ${JSON.stringify({ bootloader: tcb.bootloader, tee: tcb.tee, snp: tcb.snp, microcode: tcb.microcode })}`);
      }
      return `${keyName} issued for this ${report.signingKey === 0 ? "chip and " : ""}reported TCB`;
    });
  }

  if ((report.policy & SNP_POLICY_DEBUG) !== 0n) checks.fail("policy", `guest policy 0x${report.policy.toString(16)} allows debugging (the host can read the guest's memory)`);
  else checks.pass("policy", `guest policy 0x${report.policy.toString(16)}: no debugging`);

  const expectedVmpl = options.expected?.vmpl ?? 0;
  if (report.vmpl === expectedVmpl) checks.pass("vmpl", `VMPL ${report.vmpl}`);
  else checks.fail("vmpl", `report made at VMPL ${report.vmpl}, expected ${expectedVmpl}`);

  const minimum = options.expected?.minimumTcb;
  if (minimum !== undefined) {
    const below = atLeast(report.reportedTcb, minimum);
    if (below.length > 0) checks.fail("reported-tcb", `reported TCB below the minimum: ${below.join(", ")}`);
    else checks.pass("reported-tcb", `reported TCB ${report.reportedTcb.raw} at or above the minimum`);
  }

  if (options.expected !== undefined) {
    const wrong: string[] = [];
    const measurement = report.measurement.toString("hex");
    if (measurement !== options.expected.measurement) wrong.push(`MEASUREMENT is ${measurement}, expected ${options.expected.measurement}`);
    if (options.expected.hostData !== undefined && report.hostData.toString("hex") !== options.expected.hostData) {
      wrong.push(`HOST_DATA is ${report.hostData.toString("hex")}, expected ${options.expected.hostData}`);
    }
    if (wrong.length > 0) checks.fail("measurements", wrong.join("; "));
    else checks.pass("measurements", "MEASUREMENT as expected");
  }
  checkReportData(checks, Buffer.from(report.reportData), options.reportData, "REPORT_DATA");
  return result;
}

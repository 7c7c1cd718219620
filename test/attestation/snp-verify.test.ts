/**
 * The SEV-SNP verifier against real reports (shared vectors): Genoa v3 VCEK and Milan v3 VLEK verify
 * with their measurements; the Milan v2 report is genuine but has DEBUG in its policy and is refused
 * for that alone; the tampered one fails the signature; an expired VLEK, the wrong product's key, a
 * wrong measurement, VMPL, minimum TCB and REPORT_DATA are each refused by the named check.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { verifySnpReport } from "../../src/attestation/snp-verify.js";
import { GENOA, MILAN_V2, TEE_SKIP, teeFile, VLEK } from "./vectors.js";

const failedChecks = (result: ReturnType<typeof verifySnpReport>) => result.checks.checks.filter((c) => !c.ok).map((c) => c.name);
const AT = new Date("2026-06-01T00:00:00Z");

describe("SEV-SNP report verification", { skip: TEE_SKIP }, () => {
  test("Genoa v3 (VCEK, PEM) verifies with its measurement and REPORT_DATA", () => {
    const result = verifySnpReport(teeFile("snp/azure_genoa_v3.report.bin"), teeFile("snp/azure_genoa_v3.vcek.pem"), {
      at: AT,
      expected: { measurement: GENOA.measurement, vmpl: 0, minimumTcb: { bootloader: 10, tee: 0, snp: 23, microcode: 84 } },
      reportData: Buffer.from(GENOA.reportData, "hex"),
    });
    assert.deepEqual(failedChecks(result), []);
    assert.equal(result.product, "Genoa");
  });

  test("Milan v3 VLEK verifies at a time inside the VLEK's validity, at VMPL 1 when that is expected", () => {
    const result = verifySnpReport(teeFile("snp/trustee_milan_v3_vlek.report.bin"), teeFile("snp/trustee_milan_v3_vlek.vlek.der"), {
      at: VLEK.at,
      expected: { measurement: VLEK.measurement, vmpl: 1 },
      reportData: Buffer.from(VLEK.reportData, "hex"),
    });
    assert.deepEqual(failedChecks(result), []);
  });

  test("the VLEK after its expiry is refused by the certificate chain check", () => {
    const result = verifySnpReport(teeFile("snp/trustee_milan_v3_vlek.report.bin"), teeFile("snp/trustee_milan_v3_vlek.vlek.der"), {
      at: new Date("2025-12-11T00:00:00Z"),
      expected: { measurement: VLEK.measurement, vmpl: 1 },
    });
    assert.deepEqual(failedChecks(result), ["certificate-chain"]);
  });

  test("the VLEK report at VMPL 1 is refused when VMPL 0 is required (the default)", () => {
    const result = verifySnpReport(teeFile("snp/trustee_milan_v3_vlek.report.bin"), teeFile("snp/trustee_milan_v3_vlek.vlek.der"), { at: VLEK.at });
    assert.deepEqual(failedChecks(result), ["vmpl"]);
  });

  test("Milan v2: signature, chain, chip and TCB hold, and the DEBUG policy is refused", () => {
    for (const certificate of ["snp/gosevguest_milan_v2.vcek.der", "snp/gosevguest_milan_v2.auxblob_certtable.bin"]) {
      const result = verifySnpReport(teeFile("snp/gosevguest_milan_v2.report.bin"), teeFile(certificate), {
        at: AT,
        expected: { measurement: MILAN_V2.measurement },
        reportData: Buffer.from(MILAN_V2.reportData, "hex"),
      });
      assert.deepEqual(failedChecks(result), ["policy"], certificate);
      assert.match(result.checks.checks.find((c) => c.name === "policy")!.detail, /debug/);
    }
  });

  test("the tampered Milan v2 report fails the report signature", () => {
    const result = verifySnpReport(teeFile("snp/TAMPERED_gosevguest_milan_v2_reportdata.report.bin"), teeFile("snp/gosevguest_milan_v2.vcek.der"), { at: AT });
    assert.ok(failedChecks(result).includes("report-signature"));
  });

  test("another chip's VCEK is refused (signature and chip binding)", () => {
    const result = verifySnpReport(teeFile("snp/gosevguest_milan_v2.report.bin"), teeFile("snp/azure_genoa_v3.vcek.pem"), { at: AT });
    assert.ok(failedChecks(result).includes("report-signature"));
    assert.ok(failedChecks(result).includes("signing-key"));
  });

  test("a wrong measurement, a higher minimum TCB and wrong REPORT_DATA are each refused by name", () => {
    const report = teeFile("snp/azure_genoa_v3.report.bin");
    const vcek = teeFile("snp/azure_genoa_v3.vcek.pem");
    const wrongMeasurement = verifySnpReport(report, vcek, { at: AT, expected: { measurement: "00".repeat(48) } });
    assert.deepEqual(failedChecks(wrongMeasurement), ["measurements"]);
    const highTcb = verifySnpReport(report, vcek, { at: AT, expected: { measurement: GENOA.measurement, minimumTcb: { bootloader: 10, tee: 0, snp: 24, microcode: 84 } } });
    assert.deepEqual(failedChecks(highTcb), ["reported-tcb"]);
    assert.match(highTcb.checks.checks.find((c) => c.name === "reported-tcb")!.detail, /snp 23 < 24/);
    const wrongData = verifySnpReport(report, vcek, { at: AT, reportData: Buffer.alloc(64) });
    assert.deepEqual(failedChecks(wrongData), ["report-data"]);
  });

  test("no VCEK given: refused by the signing key check", () => {
    const result = verifySnpReport(teeFile("snp/azure_genoa_v3.report.bin"), undefined, { at: AT });
    assert.ok(failedChecks(result).includes("signing-key"));
    assert.equal(result.checks.ok, false);
  });
});

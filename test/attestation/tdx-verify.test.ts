/**
 * The TDX verifier against real quotes and collateral (shared vectors): valid quotes verify at
 * their time with the published measurements; expired collateral, a tampered quote, a TCB without a
 * matching level, a wrong measurement and wrong REPORTDATA are each refused by the named check.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Collateral } from "@phala/dcap-qvl";
import { X509Certificate } from "node:crypto";
import { verifyTdxQuote } from "../../src/attestation/tdx-verify.js";
import { INTEL_SGX_ROOT_CA } from "../../src/attestation/pinned-roots.js";
import { NEAR, PHALA, TEE_SKIP, teeFile } from "./vectors.js";

const collateral = (name: string): Collateral => JSON.parse(teeFile(`tdx/${name}.collateral.json`).toString("utf8")) as Collateral;
const failedChecks = (result: ReturnType<typeof verifyTdxQuote>) => result.checks.checks.filter((c) => !c.ok).map((c) => c.name);

describe("TDX quote verification", { skip: TEE_SKIP }, () => {
  test("the pinned root is the production Intel SGX Root CA of the vectors", () => {
    const shared = new X509Certificate(teeFile("roots/intel_sgx_root_ca.pem"));
    assert.equal(INTEL_SGX_ROOT_CA.fingerprint256.replaceAll(":", ""), "44A0196B2B99F889B8E149E95B807A350E7424964399E885A7CBB8CCFAB674D3");
    assert.equal(new X509Certificate(INTEL_SGX_ROOT_CA.pem).fingerprint256, shared.fingerprint256);
  });

  test("the Phala quote verifies at its time with its measurements and REPORTDATA", () => {
    const result = verifyTdxQuote(teeFile("tdx/phala_tdx_v4_uptodate.quote.bin"), collateral("phala_tdx_v4_uptodate"), {
      at: PHALA.at,
      expected: PHALA.tdx,
      reportData: Buffer.from(PHALA.reportData, "hex"),
    });
    assert.deepEqual(failedChecks(result), []);
    assert.equal(result.tcbStatus, "UpToDate");
    const names: string[] = result.checks.checks.map((c) => c.name);
    for (const name of ["pck-chain", "collateral-validity", "crl-signatures", "quote-signature", "tcb-status", "td-attributes", "measurements", "report-data"]) {
      assert.ok(names.includes(name), `check ${name} ran`);
    }
    assert.equal(result.quote?.measurements.mrtd, PHALA.tdx.mrtd);
  });

  test("the NEAR quote (hex text) verifies at its time with RTMR3 and MRCONFIGID", () => {
    const quote = Buffer.from(teeFile("tdx/near_tdx_v4_uptodate.quote.hex").toString("latin1").trim(), "hex");
    const result = verifyTdxQuote(quote, collateral("near_tdx_v4_uptodate"), { at: NEAR.at, expected: NEAR.tdx, reportData: Buffer.from(NEAR.reportData, "hex") });
    assert.deepEqual(failedChecks(result), []);
  });

  test("expired collateral is refused by the collateral window", () => {
    const result = verifyTdxQuote(teeFile("tdx/phala_tdx_v4_uptodate.quote.bin"), collateral("phala_tdx_v4_uptodate"), { at: new Date(1753000000 * 1000) });
    assert.deepEqual(failedChecks(result), ["collateral-validity"]);
    assert.match(result.checks.checks.find((c) => c.name === "collateral-validity")!.detail, /2025-07-19T10:00:35/);
  });

  test("collateral not yet issued at the time is refused", () => {
    const result = verifyTdxQuote(teeFile("tdx/phala_tdx_v4_uptodate.quote.bin"), collateral("phala_tdx_v4_uptodate"), { at: new Date("2025-06-01T00:00:00Z") });
    assert.ok(failedChecks(result).includes("collateral-validity"));
  });

  test("the tampered quote (REPORTDATA byte flipped) fails the quote signature", () => {
    const result = verifyTdxQuote(teeFile("tdx/TAMPERED_phala_tdx_v4_reportdata.quote.bin"), collateral("phala_tdx_v4_uptodate"), { at: PHALA.at });
    assert.deepEqual(failedChecks(result), ["quote-signature"]);
  });

  test("the go-tdx-guest quote has no matching TCB level: refused by the TCB status check", () => {
    const result = verifyTdxQuote(teeFile("tdx/gotdx_spr_e4_tdx_v4.quote.bin"), collateral("gotdx_spr_e4_tdx_v4"), { at: new Date("2023-07-01T00:00:00Z") });
    assert.ok(failedChecks(result).includes("tcb-status"));
    // Its TD_ATTRIBUTES has SEPT_VE_DISABLE clear.
    assert.ok(failedChecks(result).includes("td-attributes"));
    assert.ok(result.checks.checks.find((c) => c.name === "crl-signatures")!.ok);
  });

  test("a wrong RTMR is refused by the measurements check, naming the register", () => {
    const result = verifyTdxQuote(teeFile("tdx/phala_tdx_v4_uptodate.quote.bin"), collateral("phala_tdx_v4_uptodate"), {
      at: PHALA.at,
      expected: { ...PHALA.tdx, rtmr2: "11".repeat(48) },
    });
    assert.deepEqual(failedChecks(result), ["measurements"]);
    assert.match(result.checks.checks.find((c) => c.name === "measurements")!.detail, /RTMR2/);
  });

  test("wrong REPORTDATA is refused by the report-data check", () => {
    const wrong = Buffer.from(PHALA.reportData, "hex");
    wrong[63] ^= 1;
    const result = verifyTdxQuote(teeFile("tdx/phala_tdx_v4_uptodate.quote.bin"), collateral("phala_tdx_v4_uptodate"), { at: PHALA.at, reportData: wrong });
    assert.deepEqual(failedChecks(result), ["report-data"]);
  });

  test("a PCK CRL whose signature was altered is refused by the CRL check (dcap-qvl does not look)", () => {
    const altered = collateral("phala_tdx_v4_uptodate");
    const crl = Buffer.from(altered.pck_crl as string, "hex");
    crl[crl.length - 5] ^= 0x01; // inside the signature's S value
    altered.pck_crl = crl.toString("hex");
    const result = verifyTdxQuote(teeFile("tdx/phala_tdx_v4_uptodate.quote.bin"), altered, { at: PHALA.at });
    assert.ok(failedChecks(result).includes("crl-signatures"));
  });

  test("--accept-tcb adds statuses to UpToDate, it does not replace it", () => {
    const result = verifyTdxQuote(teeFile("tdx/phala_tdx_v4_uptodate.quote.bin"), collateral("phala_tdx_v4_uptodate"), { at: PHALA.at, acceptTcb: ["SWHardeningNeeded"] });
    assert.equal(result.checks.checks.find((c) => c.name === "tcb-status")?.ok, true);
  });

  test("no collateral: refused, saying what to give", () => {
    const result = verifyTdxQuote(teeFile("tdx/phala_tdx_v4_uptodate.quote.bin"), undefined, { at: PHALA.at });
    assert.ok(failedChecks(result).includes("collateral-validity"));
    assert.equal(result.checks.ok, false);
  });

  test("a debug TD is refused by the TD attributes check", () => {
    const quote = Buffer.from(teeFile("tdx/phala_tdx_v4_uptodate.quote.bin"));
    quote[48 + 120] |= 0x01; // TD_ATTRIBUTES[0] (TUD.DEBUG); breaks the signature too
    const result = verifyTdxQuote(quote, collateral("phala_tdx_v4_uptodate"), { at: PHALA.at });
    assert.ok(failedChecks(result).includes("td-attributes"));
    assert.match(result.checks.checks.find((c) => c.name === "td-attributes" && !c.ok)!.detail, /debug/);
  });
});

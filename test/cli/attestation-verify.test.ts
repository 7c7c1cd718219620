/**
 * `bulwark attestation verify` as a child process on the real vectors: exit 0 only when every
 * check holds, --json names the failing check, evidence documents wrapping a real quote or report
 * are refused when the binding does not match, and --expect files are read and applied.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { publicKeyToAddress } from "viem/accounts";
import { tempDir } from "../helpers/temp.js";
import { GENOA, PHALA, TEE_SKIP, teeFile, teePath } from "../attestation/vectors.js";

const BIN = join(fileURLToPath(new URL("../../../", import.meta.url)), "bin", "bulwark.js");
const dir = tempDir("bulwark-attest-cli-");
after(() => dir.cleanup());

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, "attestation", "verify", ...args], { encoding: "utf8", timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function writeJson(name: string, value: unknown): string {
  const path = join(dir.path, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

function identity() {
  const publicKey = `0x${Buffer.from(secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), false)).toString("hex")}` as `0x${string}`;
  return { publicKey, address: publicKeyToAddress(publicKey) };
}

describe("bulwark attestation verify", { skip: TEE_SKIP }, () => {
  test("a raw TDX quote with its collateral, time and measurements: exit 0, values printed", () => {
    const expect = writeJson("phala-expect.json", { tdx: PHALA.tdx });
    const r = run(teePath("tdx/phala_tdx_v4_uptodate.quote.bin"), "--collateral", teePath("tdx/phala_tdx_v4_uptodate.collateral.json"), "--at", "2025-07-04T10:16:31Z", "--expect", expect, "--report-data", PHALA.reportData);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /verified: every check holds/);
    assert.match(r.stdout, new RegExp(`mrtd ${PHALA.tdx.mrtd}`));
  });

  test("expired collateral: exit 1, --json names collateral-validity", () => {
    const r = run(teePath("tdx/phala_tdx_v4_uptodate.quote.bin"), "--collateral", teePath("tdx/phala_tdx_v4_uptodate.collateral.json"), "--at", "1753000000", "--json");
    assert.equal(r.status, 1);
    const out = JSON.parse(r.stdout) as { verified: boolean; checks: Array<{ name: string; ok: boolean }> };
    assert.equal(out.verified, false);
    assert.deepEqual(out.checks.filter((c) => !c.ok).map((c) => c.name), ["collateral-validity"]);
  });

  test("the DEBUG Milan report with its certificate table: exit 1 for the policy", () => {
    const r = run(teePath("snp/gosevguest_milan_v2.report.bin"), "--collateral", teePath("snp/gosevguest_milan_v2.auxblob_certtable.bin"), "--json");
    assert.equal(r.status, 1);
    const out = JSON.parse(r.stdout) as { checks: Array<{ name: string; ok: boolean }> };
    assert.deepEqual(out.checks.filter((c) => !c.ok).map((c) => c.name), ["policy"]);
  });

  test("an evidence document around a real TDX quote whose REPORTDATA does not bind its identity is refused", () => {
    const doc = {
      format: "bulwark-evidence",
      version: 1,
      provider: "tdx",
      identity: identity(),
      binding: { type: "identity", nonce: "0x" + "11".repeat(32) },
      reportData: "0x" + PHALA.reportData,
      evidence: teeFile("tdx/phala_tdx_v4_uptodate.quote.bin").toString("base64"),
    };
    const expect = writeJson("phala-expect2.json", { tdx: PHALA.tdx });
    const r = run(writeJson("tdx-evidence.json", doc), "--collateral", teePath("tdx/phala_tdx_v4_uptodate.collateral.json"), "--at", "1751624191", "--expect", expect, "--json");
    assert.equal(r.status, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { checks: Array<{ name: string; ok: boolean }> };
    const failed = out.checks.filter((c) => !c.ok).map((c) => c.name);
    assert.ok(failed.includes("report-data"));
    assert.ok(!failed.includes("quote-signature"));
  });

  test("an SEV-SNP evidence document without --expect is refused for the missing measurements", () => {
    const doc = {
      format: "bulwark-evidence",
      version: 1,
      provider: "sev-snp",
      identity: identity(),
      binding: { type: "identity", nonce: "0x" + "22".repeat(32) },
      reportData: "0x" + GENOA.reportData,
      evidence: teeFile("snp/azure_genoa_v3.report.bin").toString("base64"),
    };
    const r = run(writeJson("snp-evidence.json", doc), "--collateral", teePath("snp/azure_genoa_v3.vcek.pem"), "--json");
    assert.equal(r.status, 1);
    const failed = (JSON.parse(r.stdout) as { checks: Array<{ name: string; ok: boolean }> }).checks.filter((c) => !c.ok).map((c) => c.name);
    assert.deepEqual([...new Set(failed)].sort(), ["measurements", "report-data"]);
  });

  test("a bad --expect file is a one-line error, exit 1", () => {
    const bad = writeJson("bad-expect.json", { tdx: { mrtd: "00" } });
    const r = run(teePath("tdx/phala_tdx_v4_uptodate.quote.bin"), "--expect", bad);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /tdx\.mrtd: expected 48 bytes of hex/);
  });
});

/**
 * End to end with `serve --attestation software`: keygen through the keymanager API returns a
 * provenance statement; the identity evidence for our nonce and that statement pass
 * `attestation verify --allow-software` and are refused without it; the per-key evidence verifies;
 * an imported key has no statement; `keys export` refuses the generated key and exports the
 * imported one. And `serve --attestation tdx` against a directory laid out as configfs-tsm (the
 * test answering as the kernel, with a real quote carrying the report data Bulwark wrote): the
 * verifier recomputes the binding and finds it, and refuses the quote's signature, which only
 * hardware can make.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { tempDir } from "../helpers/temp.js";
import { cheapKeystore, testKey } from "../keys/fixtures.js";
import { getJson, runBulwark, startBulwark, type Bulwark } from "./harness.js";
import { playKernel, TDX_REPORT_DATA_OFFSET, withReportData } from "../attestation/tsm-kernel.js";
import { PHALA, TEE_SKIP, teeFile, teePath } from "../attestation/vectors.js";

const PASSPHRASE = "e2e attestation sealing passphrase";
const ENV = { BULWARK_SEALING_PASSPHRASE: PASSPHRASE };
const scratch = tempDir("bulwark-e2e-attest-");
const dataDir = join(scratch.path, "data");
let signer: Bulwark | undefined;
after(async () => {
  await signer?.stop();
  scratch.cleanup();
});

function file(name: string, value: unknown): string {
  const path = join(scratch.path, name);
  writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value, null, 2));
  return path;
}

describe("serve --attestation software", () => {
  let token = "";
  let generated = "";
  const imported = testKey(77);

  before(async () => {
    signer = await startBulwark(["serve", "--network", "hoodi", "--data-dir", dataDir, "--http-port", "0", "--signing-threads", "1", "--keymanager", "--attestation", "software"], {
      env: ENV,
      timeoutMs: 120_000,
    });
    token = readFileSync(join(dataDir, "api-token.txt"), "utf8").trim();
  });

  test("keygen returns a KeyProvenance statement signed by the identity the logs name", async () => {
    const res = await getJson(`${signer!.url}/eth/v1/keygen`, {
      headers: { authorization: `Bearer ${token}` },
      body: { count: 1, withdrawal_address: "0x000000000000000000000000000000000000dEaD" },
      timeoutMs: 60_000,
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const [key] = (res.json as { data: Array<{ pubkey: string; deposit_data: { deposit_data_root: string }; provenance: { primaryType: string; signer: string; message: Record<string, unknown> } }> }).data;
    generated = key!.pubkey;
    assert.equal(key!.provenance.primaryType, "KeyProvenance");
    assert.equal(key!.provenance.message.depositDataRoot, "0x" + key!.deposit_data.deposit_data_root);
    assert.equal(key!.provenance.message.notExportable, true);
    const logged = signer!.logs().find((line) => line.msg?.startsWith("attestation: SOFTWARE"));
    assert.equal(key!.provenance.signer, logged?.identity);
  });

  test("identity evidence + statement: accepted with --allow-software, refused without", async () => {
    const nonce = "0x" + randomBytes(32).toString("hex");
    const evidence = await getJson(`${signer!.url}/bulwark/v1/attestation/identity?nonce=${nonce}`);
    assert.equal(evidence.status, 200);
    const statement = await getJson(`${signer!.url}/bulwark/v1/attestation/keys/${generated}`);
    assert.equal(statement.status, 200);
    const evidenceFile = file("identity-evidence.json", evidence.json);
    const statementFile = file("statement.json", statement.json);
    const refused = await runBulwark(["attestation", "verify", evidenceFile, "--statement", statementFile, "--nonce", nonce, "--json"], { timeoutMs: 60_000 });
    assert.equal(refused.code, 1, refused.stderr);
    const out = JSON.parse(refused.stdout) as { checks: Array<{ name: string; ok: boolean }> };
    assert.deepEqual(out.checks.filter((c) => !c.ok).map((c) => c.name), ["software-evidence"]);
    assert.ok(out.checks.some((c) => c.name === "statement-signature" && c.ok));
    const accepted = await runBulwark(["attestation", "verify", evidenceFile, "--statement", statementFile, "--nonce", nonce, "--allow-software"], { timeoutMs: 60_000 });
    assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr);
    assert.match(accepted.stdout, /verified: every check holds/);
  });

  test("per-key evidence binds the statement and verifies with --allow-software", async () => {
    const evidence = await getJson(`${signer!.url}/bulwark/v1/attestation/keys/${generated}/evidence`);
    assert.equal(evidence.status, 200);
    const result = await runBulwark(["attestation", "verify", file("key-evidence.json", evidence.json), "--allow-software"], { timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /statement binding/);
  });

  test("a bad nonce is refused with 400", async () => {
    const res = await getJson(`${signer!.url}/bulwark/v1/attestation/identity?nonce=0x1234`);
    assert.equal(res.status, 400);
  });

  test("an imported key gets no provenance statement", async () => {
    const keystore = await cheapKeystore(imported, "import-password");
    const res = await getJson(`${signer!.url}/eth/v1/keystores`, {
      headers: { authorization: `Bearer ${token}` },
      body: { keystores: [JSON.stringify(keystore)], passwords: ["import-password"] },
      timeoutMs: 60_000,
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const statement = await getJson(`${signer!.url}/bulwark/v1/attestation/keys/0x${imported.pubkey.replace(/^0x/, "")}`);
    assert.equal(statement.status, 404);
  });

  test("after shutdown, keys export refuses the generated key and exports the imported one", async () => {
    await signer!.stop();
    signer = undefined;
    const password = file("export-password.txt", "an export password\n");
    const refused = await runBulwark(["keys", "export", "--data-dir", dataDir, "--pubkey", generated, "--password-file", password, "--out", join(scratch.path, "out1")], { env: ENV, timeoutMs: 60_000 });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not exportable: .*generated inside this signer with attestation on/);
    const exported = await runBulwark(["keys", "export", "--data-dir", dataDir, "--pubkey", `0x${imported.pubkey.replace(/^0x/, "")}`, "--password-file", password, "--out", join(scratch.path, "out2")], { env: ENV, timeoutMs: 60_000 });
    assert.equal(exported.code, 0, exported.stderr);
  });
});

describe("serve --attestation tdx (configfs-tsm laid out by the test)", { skip: TEE_SKIP }, () => {
  test("identity evidence carries a quote whose REPORTDATA binds the identity and nonce", async () => {
    const reportDir = join(scratch.path, "tsm-report");
    mkdirSync(reportDir);
    const quote = teeFile("tdx/phala_tdx_v4_uptodate.quote.bin");
    const kernel = playKernel(reportDir, { provider: "tdx_guest", answer: (inblob) => withReportData(quote, TDX_REPORT_DATA_OFFSET, inblob) });
    let tdxSigner: Bulwark | undefined;
    try {
      tdxSigner = await startBulwark(["serve", "--network", "hoodi", "--data-dir", join(scratch.path, "tdx-data"), "--http-port", "0", "--signing-threads", "1", "--attestation", "tdx", "--tsm-report-dir", reportDir], {
        env: ENV,
        timeoutMs: 120_000,
      });
      const nonce = "0x" + randomBytes(32).toString("hex");
      const evidence = await getJson(`${tdxSigner.url}/bulwark/v1/attestation/identity?nonce=${nonce}`, { timeoutMs: 60_000 });
      assert.equal(evidence.status, 200, JSON.stringify(evidence.json));
      assert.equal((evidence.json as { provider: string }).provider, "tdx");
      const expect = file("phala-expect.json", { tdx: PHALA.tdx });
      const result = await runBulwark(
        ["attestation", "verify", file("tdx-identity.json", evidence.json), "--expect", expect, "--collateral", teePath("tdx/phala_tdx_v4_uptodate.collateral.json"), "--at", "1751624191", "--nonce", nonce, "--json"],
        { timeoutMs: 60_000 },
      );
      assert.equal(result.code, 1, result.stderr);
      const checks = (JSON.parse(result.stdout) as { checks: Array<{ name: string; ok: boolean }> }).checks;
      assert.deepEqual(checks.filter((c) => !c.ok).map((c) => c.name), ["quote-signature"]);
      assert.ok(checks.filter((c) => c.name === "report-data").length >= 2 && checks.filter((c) => c.name === "report-data").every((c) => c.ok));
      assert.ok(checks.some((c) => c.name === "measurements" && c.ok));
    } finally {
      await tdxSigner?.stop();
      kernel.stop();
    }
  });
});

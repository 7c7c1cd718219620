/**
 * The signer identity and its statements: the identity is sealed and comes back the same; statements
 * are EIP-712 signatures a verifier recovers to the identity; software evidence is refused unless
 * allowed; a statement altered after signing, a statement by another key and evidence for a foreign
 * statement are refused; provenance is recorded as not exportable.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { hashTypedData, type Hex } from "viem";
import { Attestor } from "../../src/attestation/attestor.js";
import { SoftwareEvidenceProvider } from "../../src/attestation/software-evidence.js";
import { loadOrCreateIdentity } from "../../src/attestation/identity-key.js";
import { isNotExportable, readProvenance } from "../../src/attestation/provenance-store.js";
import { STATEMENT_DOMAIN, STATEMENT_TYPES, statementDigest, type SignedStatement } from "../../src/attestation/statements.js";
import { verifyEvidenceDocument } from "../../src/attestation/verify-evidence.js";
import { tempDir } from "../helpers/temp.js";
import { ConfigfsTsmProvider } from "../../src/attestation/configfs-tsm.js";
import { playKernel, SNP_REPORT_DATA_OFFSET, withReportData } from "./tsm-kernel.js";
import { GENOA, TEE_SKIP, teeFile } from "./vectors.js";

const KDF = { n: 1 << 10, r: 8, p: 1 };
const SECRET = Buffer.from("a sealing secret for tests");
const GVR = "0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f" as Hex;
const dir = tempDir("bulwark-attestor-");
after(() => dir.cleanup());

const KEY = {
  pubkey: "0x" + "a1".repeat(48),
  depositData: {
    pubkey: "a1".repeat(48),
    withdrawal_credentials: "01" + "00".repeat(11) + "de".repeat(20),
    amount: 32_000_000_000,
    signature: "00".repeat(96),
    deposit_message_root: "11".repeat(32),
    deposit_data_root: "22".repeat(32),
    fork_version: "10000910",
    network_name: "hoodi",
    deposit_cli_version: "2.7.0",
  },
};

const failed = (result: Awaited<ReturnType<typeof verifyEvidenceDocument>>) => result.checks.checks.filter((c) => !c.ok).map((c) => c.name);

describe("signer identity and statements", () => {
  test("the identity is made once, sealed, and reopens to the same address; a wrong secret does not open it", async () => {
    const first = await loadOrCreateIdentity(dir.path, SECRET, { kdf: KDF });
    const again = await loadOrCreateIdentity(dir.path, SECRET, { kdf: KDF });
    assert.equal(first.created, true);
    assert.equal(again.created, false);
    assert.equal(again.identity.address, first.identity.address);
    assert.equal(statSync(`${dir.path}/attestation-identity.json`).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(`${dir.path}/attestation-identity.json`, "utf8")).public.address, first.identity.address);
    await assert.rejects(loadOrCreateIdentity(dir.path, Buffer.from("another secret entirely"), { kdf: KDF }), /wrong sealing secret/);
  });

  test("the statement digest is EIP-712 over the published type (as a contract computes it)", () => {
    const message = { genesisValidatorsRoot: GVR, compositePubkey: ("0x" + "b2".repeat(48)) as Hex, presignedExitHash: ("0x" + "33".repeat(32)) as Hex };
    const expected = hashTypedData({
      domain: { name: "Bulwark", version: "1" },
      types: { WholeKeyDestroyed: [{ name: "genesisValidatorsRoot", type: "bytes32" }, { name: "compositePubkey", type: "bytes" }, { name: "presignedExitHash", type: "bytes32" }] },
      primaryType: "WholeKeyDestroyed",
      message,
    });
    assert.equal(statementDigest("WholeKeyDestroyed", message), expected);
    assert.deepEqual(STATEMENT_DOMAIN, { name: "Bulwark", version: "1" });
    assert.ok("KeyProvenance" in STATEMENT_TYPES && "PoolCeremony" in STATEMENT_TYPES);
  });

  test("key provenance: recorded as not exportable, verified with --allow-software only, refused when altered", async () => {
    const { identity } = await loadOrCreateIdentity(dir.path, SECRET, { kdf: KDF });
    const attestor = new Attestor(identity, new SoftwareEvidenceProvider(identity), dir.path, GVR);
    const [statement] = await attestor.recordKeyProvenance([KEY]);
    assert.ok(statement !== undefined);
    assert.equal(isNotExportable(dir.path, KEY.pubkey), true);
    assert.equal(isNotExportable(dir.path, "0x" + "c3".repeat(48)), false);
    assert.deepEqual(readProvenance(dir.path, KEY.pubkey), statement);
    assert.deepEqual(statement.message, {
      genesisValidatorsRoot: GVR,
      pubkey: KEY.pubkey,
      withdrawalCredentials: "0x" + KEY.depositData.withdrawal_credentials,
      amountGwei: "32000000000",
      depositDataRoot: "0x" + "22".repeat(32),
      generatedInside: true,
      notExportable: true,
    });

    const evidence = await attestor.identityEvidence(Buffer.alloc(32, 7));
    const at = new Date();
    assert.deepEqual(failed(await verifyEvidenceDocument(evidence, { at, statements: [statement] })), ["software-evidence"]);
    assert.deepEqual(failed(await verifyEvidenceDocument(evidence, { at, statements: [statement], allowSoftware: true })), []);

    const altered: SignedStatement = { ...statement, message: { ...statement.message, withdrawalCredentials: ("0x01" + "00".repeat(11) + "ee".repeat(20)) as Hex } };
    assert.deepEqual(failed(await verifyEvidenceDocument(evidence, { at, statements: [altered], allowSoftware: true })), ["statement-signature"]);

    const perStatement = await attestor.statementEvidence(statement);
    assert.deepEqual(failed(await verifyEvidenceDocument(perStatement, { at, allowSoftware: true })), []);
    const swapped = { ...perStatement, binding: { type: "statement" as const, statement: altered } };
    assert.ok(failed(await verifyEvidenceDocument(swapped, { at, allowSoftware: true })).includes("report-data"));
  });

  test("evidence is refused for statements another key signed, and for a wrong nonce", async () => {
    const { identity } = await loadOrCreateIdentity(dir.path, SECRET, { kdf: KDF });
    const other = tempDir("bulwark-attestor-other-");
    try {
      const stranger = (await loadOrCreateIdentity(other.path, SECRET, { kdf: KDF })).identity;
      const foreign = await stranger.signStatement("WholeKeyDestroyed", { genesisValidatorsRoot: GVR, compositePubkey: KEY.pubkey as Hex, presignedExitHash: ("0x" + "00".repeat(32)) as Hex });
      const attestor = new Attestor(identity, new SoftwareEvidenceProvider(identity), dir.path, GVR);
      await assert.rejects(attestor.statementEvidence(foreign), /only for statements this signer's identity signed/);
      const evidence = await attestor.identityEvidence(Buffer.alloc(32, 1));
      const result = await verifyEvidenceDocument(evidence, { at: new Date(), allowSoftware: true, statements: [foreign], nonce: ("0x" + "02".repeat(32)) as Hex });
      assert.deepEqual(failed(result).sort(), ["report-data", "statement-signature"]);
    } finally {
      other.cleanup();
    }
  });

  test("hardware path: SEV-SNP evidence through configfs-tsm binds the identity; the verifier recomputes it", { skip: TEE_SKIP }, async () => {
    const { identity } = await loadOrCreateIdentity(dir.path, SECRET, { kdf: KDF });
    const reportDir = tempDir("bulwark-attestor-tsm-");
    // The stand-in kernel answers with a real Genoa report carrying our report data: the binding
    // holds, and only the report signature (which no test can make) fails.
    const report = teeFile("snp/azure_genoa_v3.report.bin");
    const kernel = playKernel(reportDir.path, { provider: "sev_guest", answer: (inblob) => withReportData(report, SNP_REPORT_DATA_OFFSET, inblob) });
    try {
      const attestor = new Attestor(identity, new ConfigfsTsmProvider("sev-snp", { reportDir: reportDir.path }), dir.path, GVR);
      const evidence = await attestor.identityEvidence(Buffer.alloc(32, 9));
      assert.equal(evidence.provider, "sev-snp");
      const result = await verifyEvidenceDocument(evidence, {
        at: new Date("2026-06-01T00:00:00Z"),
        snpCertificate: teeFile("snp/azure_genoa_v3.vcek.pem"),
        expected: { sevSnp: { measurement: GENOA.measurement } },
      });
      assert.deepEqual(failed(result), ["report-signature"]);
      assert.ok(result.checks.checks.filter((c) => c.name === "report-data").every((c) => c.ok));
      assert.ok(result.checks.checks.some((c) => c.name === "measurements" && c.ok));
    } finally {
      kernel.stop();
      reportDir.cleanup();
    }
  });
});

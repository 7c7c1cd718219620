/**
 * Attested pool ceremonies (software evidence, the hardware paths share the verifier): the
 * aggregator's ceremony evidence is accepted for its own pool and share, refused without
 * --allow-software, refused for another pool's definition or share file, refused when altered; the
 * CLI's `pool join --require-attestation` refuses a ceremony whose evidence does not match before
 * it takes the share; the whole-key-destroyed statement binds the pre-signed exit file.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";
import { Attestor } from "../../../src/attestation/attestor.js";
import { SoftwareEvidenceProvider } from "../../../src/attestation/software-evidence.js";
import { parseEvidenceDocument } from "../../../src/attestation/evidence-document.js";
import { loadOrCreateIdentity } from "../../../src/attestation/identity-key.js";
import { verifyEvidenceDocument } from "../../../src/attestation/verify-evidence.js";
import type { CreatePoolResult } from "../../../src/pool/ceremony/ceremony.js";
import { attestCeremony, attestWholeKeyDestroyed, requireCeremonyAttestation } from "../../../src/pool/ceremony/ceremony-attestation.js";
import { loadOperatorShares } from "../../../src/pool/ceremony/join.js";
import { runBulwark } from "../../e2e/harness.js";
import { CHEAP, makeAggregator, makeOperator, makePool, PASSPHRASE, Scratch, SECRET, type Operator } from "./ceremony-fixtures.js";

const scratch = new Scratch();
after(() => scratch.cleanup());

describe("attested pool ceremony", () => {
  let operators: Operator[] = [];
  let poolA: CreatePoolResult;
  let poolB: CreatePoolResult;
  let evidenceA = "";
  let expectFile = "";
  let attestor: Attestor;

  before(async () => {
    operators = await Promise.all([makeOperator(scratch), makeOperator(scratch), makeOperator(scratch)]);
    const aggregator = makeAggregator(scratch);
    poolA = await makePool(scratch, aggregator, operators);
    poolB = await makePool(scratch, aggregator, operators);
    const { identity } = await loadOrCreateIdentity(aggregator, SECRET, { kdf: CHEAP });
    attestor = new Attestor(identity, new SoftwareEvidenceProvider(identity), aggregator, poolA.pool.genesisValidatorsRoot as Hex);
    evidenceA = await attestCeremony(attestor, poolA.pool, poolA.shareFiles.map((f) => f.path), join(poolA.poolFile, ".."));
    expectFile = join(scratch.dir(), "expect.json");
    writeFileSync(expectFile, JSON.stringify({ sevSnp: { measurement: "00".repeat(48) } }));
  });

  const require_ = (pool: CreatePoolResult, shareFile: string, evidenceFile: string, allowSoftware = true) =>
    requireCeremonyAttestation({ pool: pool.pool, poolFile: pool.poolFile, shareFile, evidenceFile, at: new Date(), allowSoftware });

  test("the ceremony statement names the pool and every share file, and verifies for each operator", async () => {
    const doc = parseEvidenceDocument(JSON.parse(readFileSync(evidenceA, "utf8")));
    assert.equal(doc.binding.type, "statement");
    const message = doc.binding.type === "statement" ? (doc.binding.statement.message as unknown as Record<string, unknown>) : {};
    assert.equal(message.compositePubkey, poolA.pool.compositePublicKey.toLowerCase());
    assert.equal(message.threshold, poolA.pool.threshold);
    assert.equal((message.encryptedShareHashes as string[]).length, 3);
    for (const share of poolA.shareFiles) {
      const result = await require_(poolA, share.path, evidenceA);
      assert.equal(result.checks.ok, true);
    }
  });

  test("software ceremony evidence is refused without --allow-software", async () => {
    await assert.rejects(require_(poolA, poolA.shareFiles[0]!.path, evidenceA, false), /software-evidence/);
  });

  test("another pool's definition, or another pool's share file, is refused", async () => {
    await assert.rejects(require_(poolB, poolB.shareFiles[0]!.path, evidenceA), /compositePubkey is .*not one of the encrypted shares/s);
    await assert.rejects(require_(poolA, poolB.shareFiles[0]!.path, evidenceA), /is not one of the encrypted shares the attested ceremony made/);
  });

  test("evidence altered after signing (threshold lowered) is refused", async () => {
    const doc = JSON.parse(readFileSync(evidenceA, "utf8")) as { binding: { statement: { message: { threshold: number } } } };
    doc.binding.statement.message.threshold = 1;
    const altered = join(scratch.dir(), "altered-evidence.json");
    writeFileSync(altered, JSON.stringify(doc));
    await assert.rejects(require_(poolA, poolA.shareFiles[0]!.path, altered), (err: Error) => {
      assert.match(err.message, /statement-signature: bound PoolCeremony statement is signed by 0x[0-9a-fA-F]{40}, not by the attested identity/);
      assert.match(err.message, /report-data: /);
      assert.match(err.message, /threshold is 1/);
      return true;
    });
  });

  test("pool join --require-attestation: a ceremony whose evidence does not match is refused and the share is not taken", async () => {
    const env = { BULWARK_SEALING_PASSPHRASE: PASSPHRASE };
    const op = operators[0]!;
    const refused = await runBulwark(
      ["pool", "join", "--data-dir", op.dataDir, "--pool", poolB.poolFile, "--share", poolB.shareFiles[0]!.path, "--require-attestation", expectFile, "--ceremony-evidence", evidenceA, "--allow-software"],
      { env, timeoutMs: 60_000 },
    );
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /ceremony attestation refused/);
    assert.equal((await loadOperatorShares(op.dataDir, SECRET)).some((s) => s.pool.compositePublicKey === poolB.pool.compositePublicKey), false);

    const accepted = await runBulwark(["pool", "join", "--data-dir", op.dataDir, "--pool", poolA.poolFile, "--share", poolA.shareFiles[0]!.path, "--require-attestation", expectFile, "--allow-software"], {
      env,
      timeoutMs: 60_000,
    });
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.match(accepted.stderr, /ceremony attestation verified/);
  });

  test("the whole-key-destroyed statement binds the pre-signed exit file", async () => {
    const exitFile = join(scratch.dir(), "exit.json");
    writeFileSync(exitFile, JSON.stringify({ message: { epoch: "1", validator_index: "7" }, signature: "0x00" }));
    const path = await attestWholeKeyDestroyed(attestor, poolA.pool, exitFile);
    assert.ok(existsSync(path));
    const doc = parseEvidenceDocument(JSON.parse(readFileSync(path, "utf8")));
    const result = await verifyEvidenceDocument(doc, { at: new Date(), allowSoftware: true });
    assert.equal(result.checks.ok, true);
    assert.equal(doc.binding.type === "statement" && doc.binding.statement.primaryType, "WholeKeyDestroyed");
  });
});

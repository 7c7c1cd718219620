/**
 * The key ceremony (createPool): threshold rules, operator checks, and what a 3-of-4 ceremony writes
 * (pool.json, encrypted share files, deposit data, the data-dir copy and the sealed whole key).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import { initThreshold, recoverPublicKey } from "../../../src/bls/threshold.js";
import { verifyDepositFile } from "../../../src/eth/deposit-file.js";
import { chooseThreshold, createPool } from "../../../src/pool/ceremony/ceremony.js";
import { parsePoolDefinition, POOL_FILES } from "../../../src/pool/definition.js";
import { parseOperatorSpec } from "../../../src/pool/ceremony/operator-spec.js";
import { defaultThreshold } from "../../../src/pool/ceremony/verify-pool.js";
import { readSealedFile } from "../../keys/sealed-store-helpers.js";
import { endpoint, fromHex, HOODI, makeAggregator, makeOperator, makePool, type Operator, PASSPHRASE, refusal, Scratch, SECRET, WITHDRAWAL } from "./ceremony-fixtures.js";

const scratch = new Scratch();
after(() => scratch.cleanup());

describe("threshold", () => {
  test("default: the smallest M with M > 2N/3", () => {
    const expected: Record<number, number> = { 2: 2, 3: 3, 4: 3, 5: 4, 6: 5, 7: 5, 9: 7, 10: 7, 100: 67 };
    for (const [n, m] of Object.entries(expected)) {
      assert.equal(defaultThreshold(Number(n)), m, `N = ${n}`);
      assert.equal(chooseThreshold(Number(n), undefined), m);
      assert.ok(m > (2 * Number(n)) / 3 && m - 1 <= (2 * Number(n)) / 3);
    }
  });

  test("a minority threshold (M < floor(N/2) + 1) is refused unless allowed, and says why", () => {
    assert.throws(() => chooseThreshold(4, 2), refusal("invalid-parameters", /minority.*two disjoint groups.*--allow-minority-threshold/s));
    assert.throws(() => chooseThreshold(7, 3), refusal("invalid-parameters", /at least 4/));
    assert.equal(chooseThreshold(4, 2, true), 2);
    assert.equal(chooseThreshold(4, 3), 3);
    assert.equal(chooseThreshold(5, 3), 3, "a bare majority is accepted");
  });

  test("M < 2 and M > N are refused whatever the flag", () => {
    assert.throws(() => chooseThreshold(4, 1, true), refusal("invalid-parameters", /M < 2/));
    assert.throws(() => chooseThreshold(4, 0, true), refusal("invalid-parameters"));
    assert.throws(() => chooseThreshold(4, 5), refusal("invalid-parameters", /more than the 4 operators/));
  });
});

describe("--operator", () => {
  test("parses ID=IDENTITY@URL and refuses malformed ones", async () => {
    const op = await makeOperator(scratch);
    assert.deepEqual(parseOperatorSpec(`3=${op.identity}@https://noop.example:9100/`), { id: 3, identity: op.identity, endpoint: "https://noop.example:9100" });
    assert.throws(() => parseOperatorSpec(`x=${op.identity}@https://a:1`), refusal("invalid-parameters"));
    assert.throws(() => parseOperatorSpec(`1=x25519:short@https://a:1`), refusal("invalid-parameters", /43 base64url/));
    assert.throws(() => parseOperatorSpec(`1=${op.identity}@ftp://a:1`), refusal("invalid-parameters", /http\(s\)/));
    assert.throws(() => parseOperatorSpec(`1=${op.identity}`), refusal("invalid-parameters"));
  });
});

describe("createPool 3-of-4", () => {
  let operators: Operator[];
  let aggregator: string;

  test("writes pool.json, four encrypted shares, deposit data, the data-dir copy, and seals the whole key", async () => {
    operators = await Promise.all([1, 2, 3, 4].map(() => makeOperator(scratch)));
    aggregator = makeAggregator(scratch);
    const result = await makePool(scratch, aggregator, operators);
    const { pool } = result;
    assert.equal(pool.threshold, 3, "default threshold for 4");
    assert.equal(pool.network, "hoodi");
    assert.equal(pool.genesisValidatorsRoot, HOODI.genesisValidatorsRoot);
    assert.deepEqual(pool.participants.map((p) => [p.id, p.identity, p.endpoint]), operators.map((o, i) => [i + 1, o.identity, endpoint(i + 1)]));

    // pool.json round-trips and the copy in the data dir is the same file.
    const text = readFileSync(result.poolFile, "utf8");
    assert.deepEqual(parsePoolDefinition(JSON.parse(text)), pool);
    assert.equal(result.definitionCopy, join(aggregator, POOL_FILES.definitionsDir, `${pool.compositePublicKey}.json`));
    assert.equal(readFileSync(result.definitionCopy, "utf8"), text);
    assert.equal(statSync(result.definitionCopy).mode & 0o777, 0o600);

    // The component keys recover the composite key from any 3.
    await initThreshold();
    const components = pool.participants.map((p) => ({ id: p.id, publicKey: fromHex(p.componentPublicKey) }));
    for (const subset of [components.slice(0, 3), components.slice(1), [components[0]!, components[1]!, components[3]!]]) {
      assert.equal("0x" + Buffer.from(recoverPublicKey(subset, 3, { participants: 4 })).toString("hex"), pool.compositePublicKey);
    }

    // Share files: 0600, envelopes for the right operator and id, nothing in clear.
    assert.equal(result.shareFiles.length, 4);
    for (const { id, path } of result.shareFiles) {
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const envelope = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
      assert.equal(envelope.shareId, id);
      assert.equal(envelope.recipient, operators[id - 1]!.identity);
      assert.equal(envelope.compositePublicKey, pool.compositePublicKey);
    }

    // Deposit data: the composite key's, 0x01 credentials to the address, verifying on hoodi.
    const report = verifyDepositFile([pool.depositData], HOODI);
    assert.ok(report.ok, JSON.stringify(report));
    assert.equal("0x" + pool.depositData.pubkey, pool.compositePublicKey);
    assert.equal(pool.depositData.withdrawal_credentials, "01" + "00".repeat(11) + WITHDRAWAL.slice(2));
    assert.deepEqual(JSON.parse(readFileSync(result.depositFile, "utf8")), [pool.depositData]);

    // The whole key is sealed in the aggregator's store (decrypted here independently of src/).
    const sealed = readSealedFile(join(aggregator, POOL_FILES.wholeKeys), PASSPHRASE);
    assert.equal(sealed.keys.length, 1);
    assert.equal(sealed.keys[0]!.pubkey, pool.compositePublicKey);
    const whole = sealed.keys[0]!.secretKey;
    const message = new Uint8Array(32).fill(7);
    const { SecretKey } = await import("@chainsafe/blst");
    const sig = SecretKey.fromBytes(whole).sign(message);
    assert.ok(verify(message, PublicKey.fromBytes(fromHex(pool.compositePublicKey)), Signature.fromBytes(sig.toBytes())));
    // ...and appears nowhere in clear.
    const wholeHex = Buffer.from(whole).toString("hex");
    for (const path of [result.poolFile, result.depositFile, ...result.shareFiles.map((s) => s.path), join(aggregator, POOL_FILES.wholeKeys)]) {
      const bytes = readFileSync(path);
      assert.ok(!bytes.includes(Buffer.from(whole)) && !bytes.toString("latin1").includes(wholeHex), `${path} holds the whole key in clear`);
    }
  });

  test("refuses to overwrite an existing output", async () => {
    const out = join(scratch.dir(), "out");
    const base = {
      network: HOODI,
      operators: operators.map((o, i) => ({ id: i + 1, identity: o.identity, endpoint: endpoint(i + 1) })),
      withdrawalAddress: WITHDRAWAL,
      dataDir: aggregator,
      sealingSecret: SECRET,
      outDir: out,
    };
    await createPool(base);
    await assert.rejects(createPool(base), refusal("file-exists", /pool\.json already exists/));
  });

  test("operator ids must be exactly 1..N, identities and endpoints distinct", async () => {
    const base = { network: HOODI, withdrawalAddress: WITHDRAWAL, dataDir: aggregator, sealingSecret: SECRET, outDir: join(scratch.dir(), "out") };
    const spec = (id: number, o: Operator, url = endpoint(id)) => ({ id, identity: o.identity, endpoint: url });
    const [a, b, c] = operators as [Operator, Operator, Operator];
    await assert.rejects(createPool({ ...base, operators: [spec(1, a), spec(2, b), spec(4, c)] }), refusal("invalid-parameters", /exactly 1\.\.3/));
    await assert.rejects(createPool({ ...base, operators: [spec(1, a), spec(1, b), spec(2, c)] }), refusal("invalid-parameters", /exactly 1\.\.3/));
    await assert.rejects(createPool({ ...base, operators: [spec(1, a), spec(2, a), spec(3, c)] }), refusal("invalid-parameters", /same identity.*two shares/));
    await assert.rejects(createPool({ ...base, operators: [spec(1, a), spec(2, b, endpoint(1)), spec(3, c)] }), refusal("invalid-parameters", /same endpoint/));
    await assert.rejects(createPool({ ...base, operators: [spec(1, a)] }), refusal("invalid-parameters", /at least 2 operators/));
    await assert.rejects(createPool({ ...base, operators: [spec(1, a), spec(2, b), spec(3, c)], threshold: 1, allowMinorityThreshold: true }), refusal("invalid-parameters", /M < 2/));
    await assert.rejects(
      createPool({ ...base, operators: [spec(1, a), spec(2, b), spec(3, c)], withdrawalAddress: "0x00000000219AB540356cbb839cbe05303d7705fa" }),
      refusal("invalid-parameters", /EIP-55/),
    );
    await assert.rejects(createPool({ ...base, operators: [spec(1, a), spec(2, b), spec(3, c)], amountGwei: 33_000_000_000 }), refusal("invalid-parameters", /above/));
    assert.ok(!existsSync(base.outDir), "nothing written for a refused ceremony");
  });

  test("a minority threshold is refused, and accepted with allowMinorityThreshold", async () => {
    await assert.rejects(makePool(scratch, aggregator, operators, { threshold: 2 }), refusal("invalid-parameters", /minority/));
    const result = await makePool(scratch, aggregator, operators, { threshold: 2, allowMinorityThreshold: true });
    assert.equal(result.pool.threshold, 2);
    assert.equal(result.pool.commitments.length, 2);
  });

  test("compounding credentials and a custom amount", async () => {
    const result = await createPool({
      network: HOODI,
      operators: operators.slice(0, 3).map((o, i) => ({ id: i + 1, identity: o.identity, endpoint: endpoint(i + 1) })),
      withdrawalAddress: WITHDRAWAL,
      compounding: true,
      amountGwei: 64_000_000_000,
      dataDir: aggregator,
      sealingSecret: SECRET,
      outDir: join(scratch.dir(), "out"),
    });
    assert.equal(result.pool.threshold, 3, "default for 3 operators");
    assert.equal(result.pool.depositData.withdrawal_credentials.slice(0, 2), "02");
    assert.equal(result.pool.depositData.amount, 64_000_000_000);
    assert.ok(verifyDepositFile([result.pool.depositData], HOODI).ok);
  });
});

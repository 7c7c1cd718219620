/**
 * Operators: identity creation and sealing, joining a 3-of-4 pool, and every refusal a join makes
 * (another participant's share, a tampered file, another pool's share, an identity not in the pool
 * or not the recipient, a pool for an unknown chain, a dishonest dealer's share).
 */
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PublicKey, SecretKey, Signature, verify } from "@chainsafe/blst";
import { initThreshold, recoverSignature, verifyShare } from "../../../src/bls/threshold.js";
import type { CreatePoolResult } from "../../../src/pool/ceremony/ceremony.js";
import { POOL_FILES, serializePoolDefinition } from "../../../src/pool/definition.js";
import { joinPool, loadOperatorShares } from "../../../src/pool/ceremony/join.js";
import { createOperatorIdentity, openOperatorIdentity, operatorIdentityId } from "../../../src/pool/storage/operator-store.js";
import { encryptShare } from "../../../src/pool/ceremony/share-crypto.js";
import { readSealedFile } from "../../keys/sealed-store-helpers.js";
import { CHEAP, fromHex, makeAggregator, makeOperator, makePool, type Operator, PASSPHRASE, refusal, Scratch, SECRET } from "./ceremony-fixtures.js";

const scratch = new Scratch();
after(() => scratch.cleanup());

function join_(operator: Operator, poolFile: string, shareFile: string) {
  return joinPool({ dataDir: operator.dataDir, sealingSecret: SECRET, poolFile, shareFile });
}

describe("operator identity", () => {
  test("is created sealed, printed without the secret, opened with it, and never overwritten", async () => {
    const dataDir = join(scratch.dir(), "data");
    const id = await createOperatorIdentity(dataDir, SECRET, { kdf: CHEAP });
    assert.match(id, /^x25519:[A-Za-z0-9_-]{43}$/);
    assert.equal(operatorIdentityId(dataDir), id);
    const path = join(dataDir, POOL_FILES.identity);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const opened = await openOperatorIdentity(dataDir, SECRET);
    assert.equal(opened.id, id);
    await assert.rejects(createOperatorIdentity(dataDir, SECRET, { kdf: CHEAP }), refusal("identity-exists", /already exists.*kept/));
    assert.equal(operatorIdentityId(dataDir), id, "still the same identity");
    await assert.rejects(openOperatorIdentity(dataDir, Buffer.from("another passphrase")), /wrong sealing secret/);

    // The public identity in clear is authenticated: changing it makes the file fail to open.
    const other = await makeOperator(scratch);
    const doc = JSON.parse(readFileSync(path, "utf8")) as { public: { identity: string } };
    doc.public.identity = other.identity;
    writeFileSync(path, JSON.stringify(doc));
    await assert.rejects(openOperatorIdentity(dataDir, SECRET), /corrupted/);
  });

  test("missing identity: a clear error", async () => {
    const dataDir = join(scratch.dir(), "empty");
    assert.throws(() => operatorIdentityId(dataDir), refusal("no-identity", /operator-init/));
    await assert.rejects(openOperatorIdentity(dataDir, SECRET), refusal("no-identity"));
  });
});

describe("join a 3-of-4 pool", () => {
  let operators: Operator[];
  let created: CreatePoolResult;
  let other: CreatePoolResult;
  const shareFile = (id: number, result = created) => result.shareFiles.find((s) => s.id === id)!.path;

  before(async () => {
    operators = await Promise.all([1, 2, 3, 4].map(() => makeOperator(scratch)));
    const aggregator = makeAggregator(scratch);
    created = await makePool(scratch, aggregator, operators);
    other = await makePool(scratch, aggregator, operators);
  });

  test("another participant's share is refused", async () => {
    await assert.rejects(join_(operators[0]!, created.poolFile, shareFile(2)), refusal("wrong-participant", /participant 2's share.*participant 1.*share-1\.json/));
  });

  test("a tampered share file is refused", async () => {
    const tampered = join(scratch.dir(), "share-1.json");
    const envelope = JSON.parse(readFileSync(shareFile(1), "utf8")) as Record<string, string>;
    const ct = Buffer.from(envelope.ciphertext!, "base64url");
    ct[5] ^= 0x01;
    writeFileSync(tampered, JSON.stringify({ ...envelope, ciphertext: ct.toString("base64url") }));
    await assert.rejects(join_(operators[0]!, created.poolFile, tampered), refusal("tampered-share", /altered or corrupted/));

    writeFileSync(tampered, readFileSync(shareFile(1), "utf8").slice(0, 100));
    await assert.rejects(join_(operators[0]!, created.poolFile, tampered), refusal("tampered-share", /not valid JSON/));

    writeFileSync(tampered, JSON.stringify({ ...envelope, salt: "AAAA" }));
    await assert.rejects(join_(operators[0]!, created.poolFile, tampered), refusal("tampered-share", /salt/));
  });

  test("a share of another pool is refused", async () => {
    await assert.rejects(join_(operators[0]!, created.poolFile, shareFile(1, other)), refusal("share-for-another-pool", /another pool/));
  });

  test("an operator that is not in the pool is refused", async () => {
    const stranger = await makeOperator(scratch);
    await assert.rejects(join_(stranger, created.poolFile, shareFile(1)), refusal("identity-mismatch", /is not a participant/));
  });

  test("a share encrypted to another identity is refused", async () => {
    // A share file labelled for participant 1 but encrypted to operator 2's identity.
    const misaddressed = join(scratch.dir(), "share-1.json");
    const envelope = encryptShare({ shareSecret: new Uint8Array(32).fill(1), shareId: 1, compositePublicKey: created.pool.compositePublicKey, recipientIdentityPublicKey: operators[1]!.identity });
    writeFileSync(misaddressed, JSON.stringify(envelope));
    await assert.rejects(join_(operators[0]!, created.poolFile, misaddressed), refusal("identity-mismatch", /encrypted to/));
  });

  test("a share that decrypts but is not the participant's (dishonest dealer) is refused", async () => {
    const bad = join(scratch.dir(), "share-1.json");
    const secret = SecretKey.fromKeygen(new Uint8Array(32).fill(9)).toBytes();
    writeFileSync(bad, JSON.stringify(encryptShare({ shareSecret: secret, shareId: 1, compositePublicKey: created.pool.compositePublicKey, recipientIdentityPublicKey: operators[0]!.identity })));
    await assert.rejects(join_(operators[0]!, created.poolFile, bad), refusal("invalid-share", /commitments/));
  });

  test("a pool definition for an unknown chain or with forged component keys is refused", async () => {
    const dir = scratch.dir();
    const wrongRoot = join(dir, "wrong-root.json");
    writeFileSync(wrongRoot, serializePoolDefinition({ ...created.pool, genesisValidatorsRoot: "0x" + "ab".repeat(32) }));
    await assert.rejects(join_(operators[0]!, wrongRoot, shareFile(1)), refusal("unknown-network", /another chain/));

    const unknown = join(dir, "unknown.json");
    writeFileSync(unknown, serializePoolDefinition({ ...created.pool, network: "atlantis" }));
    await assert.rejects(join_(operators[0]!, unknown, shareFile(1)), refusal("unknown-network", /unknown network "atlantis"/));

    const forged = join(dir, "forged.json");
    const participants = created.pool.participants.map((p) => (p.id === 2 ? { ...p, componentPublicKey: created.pool.participants[0]!.componentPublicKey } : p));
    writeFileSync(forged, serializePoolDefinition({ ...created.pool, participants }));
    await assert.rejects(join_(operators[0]!, forged, shareFile(1)), refusal("invalid-pool", /participant 2's component_public_key/));
  });

  test("the four operators join; their shares verify and any 3 sign for the composite key", async () => {
    const results = await Promise.all(operators.map((op, i) => join_(op, created.poolFile, shareFile(i + 1))));
    results.forEach((r, i) => {
      assert.equal(r.participantId, i + 1);
      assert.equal(r.alreadyJoined, false);
      assert.deepEqual(r.warnings, []);
      assert.equal(readFileSync(r.definitionCopy, "utf8"), readFileSync(created.poolFile, "utf8"));
    });

    await initThreshold();
    const commitments = created.pool.commitments.map(fromHex);
    const message = new Uint8Array(32).fill(0x42);
    const partials = [];
    for (const [i, op] of operators.entries()) {
      const shares = await loadOperatorShares(op.dataDir, SECRET);
      assert.equal(shares.length, 1);
      const share = shares[0]!;
      assert.equal(share.participantId, i + 1);
      assert.equal(share.pool.compositePublicKey, created.pool.compositePublicKey);
      assert.ok(verifyShare(share.participantId, share.shareSecret, commitments), "the share verifies against the commitments");
      const sk = SecretKey.fromBytes(share.shareSecret);
      assert.equal("0x" + Buffer.from(sk.toPublicKey().toBytes(true)).toString("hex"), created.pool.participants[i]!.componentPublicKey);
      partials.push({ id: share.participantId, signature: sk.sign(message).toBytes(true) });

      // Sealed at rest: the store file decrypts (independently) to the share, which is not in clear.
      const storeFile = join(op.dataDir, POOL_FILES.shares);
      assert.equal(statSync(storeFile).mode & 0o777, 0o600);
      const sealed = readSealedFile(storeFile, PASSPHRASE);
      assert.deepEqual(sealed.keys.map((k) => k.pubkey), [created.pool.compositePublicKey]);
      assert.deepEqual(sealed.keys[0]!.secretKey, share.shareSecret);
      assert.ok(!readFileSync(storeFile).includes(Buffer.from(share.shareSecret)));
      assert.ok(!readFileSync(storeFile, "latin1").includes(Buffer.from(share.shareSecret).toString("hex")));
    }
    const composite = PublicKey.fromBytes(fromHex(created.pool.compositePublicKey));
    for (const subset of [partials.slice(0, 3), partials.slice(1, 4)]) {
      const signature = recoverSignature(subset, 3, { participants: 4 });
      assert.ok(verify(message, composite, Signature.fromBytes(signature, true, true)));
    }
  });

  test("joining again with the same share changes nothing; a second pool adds a second share", async () => {
    const again = await join_(operators[2]!, created.poolFile, shareFile(3));
    assert.equal(again.alreadyJoined, true);
    await join_(operators[2]!, other.poolFile, shareFile(3, other));
    const shares = await loadOperatorShares(operators[2]!.dataDir, SECRET);
    assert.deepEqual(
      shares.map((s) => [s.pool.compositePublicKey, s.participantId]).sort(),
      [
        [created.pool.compositePublicKey, 3],
        [other.pool.compositePublicKey, 3],
      ].sort(),
    );
  });

  test("wrong sealing passphrase: no shares", async () => {
    await assert.rejects(loadOperatorShares(operators[0]!.dataDir, Buffer.from("not the passphrase")), /wrong sealing secret/);
    assert.deepEqual(await loadOperatorShares(join(scratch.dir(), "nothing"), SECRET), []);
  });
});

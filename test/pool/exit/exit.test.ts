/**
 * Exits: the aggregator's pre-signed exit (EIP-7044 domain, verified independently with lodestar's
 * domain and blst; the whole key destroyed afterwards) and the operators' exit without the
 * aggregator (partial exits combined), both submitted to a stand-in beacon node that verifies
 * them with the real domain.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import { SLOTS_PER_EPOCH } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { genesisData } from "@lodestar/config/networks";
import type { CreatePoolResult } from "../../../src/pool/ceremony/ceremony.js";
import { POOL_FILES } from "../../../src/pool/definition.js";
import { exitEpoch, presignExit, readPresignedExit, submitPresignedExit } from "../../../src/pool/exit/exit.js";
import { combineExitShares, signExitShare, type PartialExitJson } from "../../../src/pool/exit/exit-share.js";
import { joinPool } from "../../../src/pool/ceremony/join.js";
import { dataDirStatus } from "../../../src/pool/storage/status.js";
import { submitVoluntaryExit } from "../../../src/pool/exit/beacon-client.js";
import { destroyWholeKey } from "../../../src/pool/storage/whole-key.js";
import { readSealedFile } from "../../keys/sealed-store-helpers.js";
import { fromHex, HOODI, makeAggregator, makeOperator, makePool, type Operator, PASSPHRASE, refusal, Scratch, SECRET } from "../ceremony/ceremony-fixtures.js";
import { exitVerifies, lodestarExitSigningRoot, startBeaconStandIn, type BeaconStandIn } from "./exit-beacon.js";

const scratch = new Scratch();
let beacon: BeaconStandIn;
after(async () => {
  await beacon?.close();
  scratch.cleanup();
});

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

function assertSecretAbsent(dir: string, secret: Uint8Array): void {
  const hexSecret = Buffer.from(secret).toString("hex");
  for (const file of filesUnder(dir)) {
    const bytes = readFileSync(file);
    assert.ok(!bytes.includes(Buffer.from(secret)), `${file} holds the whole key`);
    assert.ok(!bytes.toString("latin1").toLowerCase().includes(hexSecret), `${file} holds the whole key in hex`);
    assert.ok(!bytes.toString("latin1").includes(Buffer.from(secret).toString("base64")), `${file} holds the whole key in base64`);
  }
}

const VALIDATOR_INDEX = 812_345;
const OTHER_INDEX = 812_346;

describe("exits of a 3-of-4 pool", () => {
  let operators: Operator[];
  let aggregator: string;
  let created: CreatePoolResult;
  let second: CreatePoolResult;

  before(async () => {
    operators = await Promise.all([1, 2, 3, 4].map(() => makeOperator(scratch)));
    aggregator = makeAggregator(scratch);
    created = await makePool(scratch, aggregator, operators);
    second = await makePool(scratch, aggregator, operators);
    await Promise.all(
      operators.map((op, i) =>
        joinPool({ dataDir: op.dataDir, sealingSecret: SECRET, poolFile: created.poolFile, shareFile: created.shareFiles[i]!.path }),
      ),
    );
    beacon = await startBeaconStandIn(HOODI, { [VALIDATOR_INDEX]: created.pool.compositePublicKey, [OTHER_INDEX]: second.pool.compositePublicKey });
  });

  describe("operator exit without the aggregator", () => {
    const epoch = 140_000;
    let partials: PartialExitJson[];
    const sources = () => partials.map((json, i) => ({ source: `partial-${i + 1}.json`, json }));

    before(async () => {
      partials = await Promise.all(
        operators.map((op) => signExitShare({ dataDir: op.dataDir, sealingSecret: SECRET, pool: created.pool, validatorIndex: VALIDATOR_INDEX, epoch })),
      );
    });

    test("each partial verifies against its participant's component key with the real domain", () => {
      const root = lodestarExitSigningRoot(HOODI, epoch, VALIDATOR_INDEX);
      partials.forEach((partial, i) => {
        assert.equal(partial.participant_id, i + 1);
        assert.equal(partial.composite_public_key, created.pool.compositePublicKey);
        assert.deepEqual(partial.message, { epoch: String(epoch), validator_index: String(VALIDATOR_INDEX) });
        const pk = PublicKey.fromBytes(fromHex(created.pool.participants[i]!.componentPublicKey));
        assert.ok(verify(root, pk, Signature.fromBytes(fromHex(partial.signature), true, true)));
      });
    });

    test("three partials combine into a SignedVoluntaryExit for the composite key, which the beacon node accepts", async () => {
      for (const subset of [[0, 1, 2], [1, 2, 3], [0, 1, 3]]) {
        const combined = await combineExitShares(created.pool, subset.map((i) => sources()[i]!));
        assert.deepEqual(combined.participants, subset.map((i) => i + 1));
        assert.ok(exitVerifies(HOODI, created.pool.compositePublicKey, combined.signedExit));
        assert.deepEqual(ssz.phase0.SignedVoluntaryExit.toJson(ssz.phase0.SignedVoluntaryExit.fromJson(combined.signedExit)), combined.signedExit);
      }
      const combined = await combineExitShares(created.pool, sources());
      const answer = await submitVoluntaryExit(beacon.url, combined.signedExit);
      assert.equal(answer.status, 200);
      assert.equal(beacon.received.at(-1)!.status, 200);
    });

    test("a partial from the wrong participant is refused, naming the file", async () => {
      // Operator 4's signature presented as participant 3's.
      const relabelled = { ...partials[3]!, participant_id: 3 };
      const list = [sources()[0]!, sources()[1]!, { source: "relabelled.json", json: relabelled }];
      await assert.rejects(combineExitShares(created.pool, list), refusal("invalid-partial", /^relabelled\.json: .*participant 3's component key/));
      // A forged signature (another message's) likewise.
      const forged = { ...partials[2]!, signature: partials[0]!.signature };
      await assert.rejects(
        combineExitShares(created.pool, [sources()[0]!, sources()[1]!, { source: "forged.json", json: forged }]),
        refusal("invalid-partial", /^forged\.json: /),
      );
    });

    test("duplicates, mixed messages, other pools and too few partials are refused", async () => {
      await assert.rejects(
        combineExitShares(created.pool, [sources()[0]!, sources()[1]!, { source: "copy.json", json: partials[1] }]),
        refusal("invalid-partial", /^copy\.json: participant 2 already signed in partial-2\.json/),
      );
      const otherEpoch = await signExitShare({ dataDir: operators[2]!.dataDir, sealingSecret: SECRET, pool: created.pool, validatorIndex: VALIDATOR_INDEX, epoch: epoch + 1 });
      await assert.rejects(
        combineExitShares(created.pool, [sources()[0]!, sources()[1]!, { source: "later.json", json: otherEpoch }]),
        refusal("invalid-partial", /^later\.json: .*same message/),
      );
      await assert.rejects(
        combineExitShares(second.pool, sources().slice(0, 3)),
        refusal("invalid-partial", /^partial-1\.json: is for composite public key/),
      );
      await assert.rejects(combineExitShares(created.pool, sources().slice(0, 2)), refusal("invalid-partial", /threshold is 3/));
      await assert.rejects(
        combineExitShares(created.pool, [{ source: "junk.json", json: { hello: 1 } }]),
        refusal("invalid-partial", /^junk\.json/),
      );
    });

    test("an operator that has not joined cannot sign a partial exit", async () => {
      await assert.rejects(
        signExitShare({ dataDir: operators[0]!.dataDir, sealingSecret: SECRET, pool: second.pool, validatorIndex: OTHER_INDEX, epoch }),
        refusal("not-joined"),
      );
      const edited = { ...created.pool, participants: created.pool.participants.map((p) => ({ ...p, endpoint: p.endpoint.replace("noop", "evil") })) };
      await assert.rejects(
        signExitShare({ dataDir: operators[0]!.dataDir, sealingSecret: SECRET, pool: edited, validatorIndex: VALIDATOR_INDEX, epoch }),
        refusal("invalid-pool", /differs from the one this operator joined/),
      );
    });

    test("the beacon stand-in refuses an exit that does not verify (400), and the error says so", async () => {
      const combined = await combineExitShares(created.pool, sources().slice(0, 3));
      const wrongIndex = { ...combined.signedExit, message: { ...combined.signedExit.message, validator_index: String(OTHER_INDEX) } };
      await assert.rejects(submitVoluntaryExit(beacon.url, wrongIndex), refusal("beacon-node", /HTTP 400.*signature verification failed/));
      assert.equal(beacon.received.at(-1)!.status, 400);
    });
  });

  describe("pre-signed exit", () => {
    test("is signed with the EIP-7044 domain, verified, stored, and then the whole key is gone from disk", async () => {
      const storeFile = join(aggregator, POOL_FILES.wholeKeys);
      const sealed = readSealedFile(storeFile, PASSPHRASE);
      assert.deepEqual(sealed.keys.map((k) => k.pubkey).sort(), [created.pool.compositePublicKey, second.pool.compositePublicKey].sort());
      const whole = sealed.keys.find((k) => k.pubkey === created.pool.compositePublicKey)!.secretKey;
      const secondWhole = sealed.keys.find((k) => k.pubkey === second.pool.compositePublicKey)!.secretKey;

      const blind = await dataDirStatus(aggregator);
      assert.ok(blind.pools.every((p) => p.wholeKey === "unknown" && p.share === "none"), "without the sealing secret the store is not looked into");

      // Default epoch: the network's current epoch by the clock.
      const nowMs = Date.UTC(2026, 5, 1, 12, 0, 0);
      const expectedEpoch = Math.floor((nowMs / 1000 - genesisData.hoodi.genesisTime) / 12 / SLOTS_PER_EPOCH);
      const result = await presignExit({ dataDir: aggregator, sealingSecret: SECRET, pool: created.pool, validatorIndex: VALIDATOR_INDEX, nowMs });
      assert.deepEqual(result.message, { epoch: expectedEpoch, validatorIndex: VALIDATOR_INDEX });

      // Verified independently: lodestar's domain for a Deneb+ state (Capella fork version), blst.
      const root = lodestarExitSigningRoot(HOODI, expectedEpoch, VALIDATOR_INDEX);
      assert.ok(verify(root, PublicKey.fromBytes(fromHex(created.pool.compositePublicKey)), Signature.fromBytes(fromHex(result.signedExit.signature), true, true)));

      // Stored as beacon-API JSON in exits/<composite>.json.
      assert.equal(result.path, join(aggregator, POOL_FILES.exitsDir, `${created.pool.compositePublicKey}.json`));
      assert.equal(statSync(result.path).mode & 0o777, 0o600);
      const stored = JSON.parse(readFileSync(result.path, "utf8")) as unknown;
      assert.deepEqual(stored, { message: { epoch: String(expectedEpoch), validator_index: String(VALIDATOR_INDEX) }, signature: result.signedExit.signature });
      assert.deepEqual(readPresignedExit(aggregator, created.pool).json, stored);

      // The whole key: removed from the store (another pool's key remains), in no file of the data dir.
      assert.deepEqual(result.destruction, { removed: true, storeRemoved: false, remaining: 1, path: storeFile });
      assert.deepEqual(readSealedFile(storeFile, PASSPHRASE).keys.map((k) => k.pubkey), [second.pool.compositePublicKey]);
      assertSecretAbsent(aggregator, whole);
      const status = await dataDirStatus(aggregator, SECRET);
      const mine = status.pools.find((p) => p.compositePublicKey === created.pool.compositePublicKey)!;
      assert.equal(mine.wholeKey, "absent");
      assert.equal(mine.presignedExit, result.path);
      assert.equal(status.pools.find((p) => p.compositePublicKey === second.pool.compositePublicKey)!.wholeKey, "present");

      // The last key: the store file is overwritten and removed.
      const last = await presignExit({ dataDir: aggregator, sealingSecret: SECRET, pool: second.pool, validatorIndex: OTHER_INDEX, epoch: 5 });
      assert.deepEqual(last.destruction, { removed: true, storeRemoved: true, remaining: 0, path: storeFile });
      assert.ok(!existsSync(storeFile), "no whole-keys file left");
      assert.ok(!filesUnder(aggregator).some((f) => f.includes(POOL_FILES.wholeKeys)), "no temporary or lock file of the store left");
      assertSecretAbsent(aggregator, whole);
      assertSecretAbsent(aggregator, secondWhole);
      const after = await dataDirStatus(aggregator, SECRET);
      assert.equal(after.wholeKeyStore, false);
      assert.ok(after.pools.every((p) => p.wholeKey === "absent" && p.presignedExit !== undefined));
      assert.ok(verify(lodestarExitSigningRoot(HOODI, 5, OTHER_INDEX), PublicKey.fromBytes(fromHex(second.pool.compositePublicKey)), Signature.fromBytes(fromHex(last.signedExit.signature), true, true)));
    });

    test("cannot be signed twice: the whole key is gone", async () => {
      await assert.rejects(
        presignExit({ dataDir: aggregator, sealingSecret: SECRET, pool: created.pool, validatorIndex: VALIDATOR_INDEX, epoch: 1 }),
        refusal("exit-exists", /already pre-signed.*whole key is destroyed/),
      );
      assert.deepEqual(await destroyWholeKey(aggregator, SECRET, created.pool.compositePublicKey), {
        removed: false,
        storeRemoved: false,
        remaining: 0,
        path: join(aggregator, POOL_FILES.wholeKeys),
      });
    });

    test("is submitted to the beacon node, which verifies it with the real domain", async () => {
      const { answer, message } = await submitPresignedExit(aggregator, created.pool, beacon.url);
      assert.equal(answer.status, 200);
      assert.equal(message.validatorIndex, VALIDATOR_INDEX);
      const last = beacon.received.at(-1)!;
      assert.equal(last.status, 200);
      assert.deepEqual(last.body, JSON.parse(readFileSync(join(aggregator, POOL_FILES.exitsDir, `${created.pool.compositePublicKey}.json`), "utf8")));
    });

    test("a damaged stored exit is never submitted", async () => {
      const path = join(aggregator, POOL_FILES.exitsDir, `${second.pool.compositePublicKey}.json`);
      const stored = JSON.parse(readFileSync(path, "utf8")) as { message: { epoch: string } };
      stored.message.epoch = "6";
      writeFileSync(path, JSON.stringify(stored));
      const before = beacon.received.length;
      await assert.rejects(submitPresignedExit(aggregator, second.pool, beacon.url), refusal("verification-failed", /does not verify/));
      assert.equal(beacon.received.length, before, "nothing sent");
    });

    test("no whole key: a clear refusal; an unknown network epoch needs --epoch", async () => {
      const empty = makeAggregator(scratch);
      await assert.rejects(
        presignExit({ dataDir: empty, sealingSecret: SECRET, pool: created.pool, validatorIndex: 1, epoch: 1 }),
        refusal("no-whole-key", /destroyed after the exit was pre-signed, or this is not the aggregator's data directory/),
      );
      assert.throws(() => exitEpoch({ ...HOODI, name: "custom-devnet" }, undefined), refusal("invalid-parameters", /give --epoch/));
      assert.equal(exitEpoch({ ...HOODI, name: "custom-devnet" }, 17), 17);
    });
  });
});

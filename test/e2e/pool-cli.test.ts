/**
 * End-to-end: the pool commands as real child processes (`node bin/bulwark.js pool ...`): four
 * operators create identities (real KDF), the aggregator runs the 3-of-4 ceremony, the operators
 * join, three of them sign partial exits that exit-combine turns into an exit a stand-in beacon
 * node accepts, and the aggregator pre-signs the exit (index looked up on the beacon node),
 * destroys the whole key, and submits the exit. Refusals are checked on the way.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { POOL_FILES } from "../../src/pool/definition.js";
import { HOODI, PASSPHRASE, Scratch, seedCheapStore, WITHDRAWAL } from "../pool/ceremony/ceremony-fixtures.js";
import { exitVerifies, startBeaconStandIn, type BeaconStandIn } from "../pool/exit/exit-beacon.js";
import { runBulwark } from "./harness.js";

const ENV = { BULWARK_SEALING_PASSPHRASE: PASSPHRASE };
const INDEX = 424_242;
const scratch = new Scratch();
let beacon: BeaconStandIn | undefined;
after(async () => {
  await beacon?.close();
  scratch.cleanup();
});

async function bulwark(args: string[], expectCode = 0, env: Record<string, string> = ENV) {
  const result = await runBulwark(["pool", ...args], { env, timeoutMs: 30_000 });
  assert.equal(result.code, expectCode, `bulwark pool ${args.join(" ")}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe("bulwark pool (CLI)", () => {
  const root = scratch.dir("bulwark-e2e-pool-");
  const ops = [1, 2, 3, 4].map((i) => join(root, `operator-${i}`));
  const agg = join(root, "aggregator");
  const out = join(root, "ceremony");
  const poolFile = join(out, "pool.json");
  const ids: string[] = [];
  let composite = "";

  before(async () => {
    const results = await Promise.all(ops.map((dir) => bulwark(["operator-init", "--data-dir", dir])));
    for (const r of results) ids.push(r.stdout.trim());
    // Cheap (N = 2^10) share and whole-key stores, so that the many opens below stay fast; the
    // commands open them exactly as they would real ones.
    for (const dir of ops) seedCheapStore(dir, POOL_FILES.shares);
    seedCheapStore(agg, POOL_FILES.wholeKeys);
  });

  test("operator-init created sealed identities; operator-id prints them; a second init is refused", async () => {
    const [printed, again, none] = await Promise.all([
      Promise.all(ops.map((dir) => bulwark(["operator-id", "--data-dir", dir], 0, {}))),
      bulwark(["operator-init", "--data-dir", ops[0]!], 1),
      bulwark(["operator-init", "--data-dir", join(root, "x")], 1, {}),
    ]);
    for (const [i, id] of ids.entries()) {
      assert.match(id, /^x25519:[A-Za-z0-9_-]{43}$/);
      assert.equal(printed[i]!.stdout.trim(), id, "printed again, without the passphrase");
      assert.ok(!readFileSync(join(ops[i]!, POOL_FILES.identity), "utf8").includes(PASSPHRASE));
    }
    assert.equal(new Set(ids).size, 4);
    assert.match(again.stderr, /already exists/);
    assert.match(none.stderr, /no sealing secret/);
  });

  const operatorArgs = () => ids.flatMap((id, i) => ["--operator", `${i + 1}=${id}@https://noop${i + 1}.example:9100`]);
  const createArgs = (extra: string[]) => ["create", "--network", "hoodi", ...operatorArgs(), "--withdrawal-address", WITHDRAWAL, "--data-dir", agg, ...extra];

  test("create: a minority threshold is refused with the reason", async () => {
    const result = await bulwark(createArgs(["--threshold", "2", "--out", join(root, "minority")]), 1);
    assert.match(result.stderr, /minority.*two disjoint groups.*--allow-minority-threshold/s);
    assert.ok(!existsSync(join(root, "minority")));
  });

  test("create 3-of-4, then four joins (one wrong share refused first)", async () => {
    const created = await bulwark(createArgs(["--out", out]));
    composite = created.stdout.trim();
    assert.match(composite, /^0x[0-9a-f]{96}$/);
    assert.match(created.stderr, /3-of-4 on hoodi/);
    const pool = JSON.parse(readFileSync(poolFile, "utf8")) as { threshold: number; composite_public_key: string };
    assert.equal(pool.threshold, 3);
    assert.equal(pool.composite_public_key, composite);
    assert.ok(existsSync(join(agg, POOL_FILES.definitionsDir, `${composite}.json`)));

    const tamperedFile = join(root, "tampered.json");
    const envelope = JSON.parse(readFileSync(join(out, "share-2.json"), "utf8")) as Record<string, string>;
    writeFileSync(tamperedFile, JSON.stringify({ ...envelope, tag: Buffer.alloc(16, 7).toString("base64url") }));
    const [wrong, tampered] = await Promise.all([
      bulwark(["join", "--data-dir", ops[0]!, "--pool", poolFile, "--share", join(out, "share-2.json")], 1),
      bulwark(["join", "--data-dir", ops[1]!, "--pool", poolFile, "--share", tamperedFile], 1),
    ]);
    assert.match(wrong.stderr, /holds participant 2's share.*participant 1/);
    assert.match(tampered.stderr, /altered or corrupted/);

    const joins = await Promise.all(ops.map((dir, i) => bulwark(["join", "--data-dir", dir, "--pool", poolFile, "--share", join(out, `share-${i + 1}.json`)])));
    joins.forEach((r, i) => assert.equal(r.stdout.trim(), `${composite} ${i + 1}`));

    const status = await bulwark(["status", "--data-dir", ops[2]!]);
    assert.match(status.stdout, new RegExp(`${composite} hoodi 3-of-4: participant 3`));
  });

  test("exit-share x3 + exit-combine: refusals name the file; the combined exit is accepted by the beacon node", async () => {
    beacon = await startBeaconStandIn(HOODI, { [INDEX]: composite });
    const partial = (i: number) => join(root, `partial-${i}.json`);
    await Promise.all(
      [1, 2, 4].map((i) => bulwark(["exit-share", "--data-dir", ops[i - 1]!, "--pool", poolFile, "--validator-index", String(INDEX), "--epoch", "150000", "--out", partial(i)])),
    );

    const duplicate = await bulwark(["exit-combine", "--pool", poolFile, partial(1), partial(2), partial(2)], 1);
    assert.match(duplicate.stderr, /partial-2\.json: participant 2 already signed/);

    const relabelledFile = join(root, "relabelled.json");
    writeFileSync(relabelledFile, JSON.stringify({ ...JSON.parse(readFileSync(partial(4), "utf8")), participant_id: 3 }));
    const relabelled = await bulwark(["exit-combine", "--pool", poolFile, partial(1), partial(2), relabelledFile], 1);
    assert.match(relabelled.stderr, /relabelled\.json: .*participant 3's component key/);

    const exitFile = join(root, "signed-exit.json");
    const combined = await bulwark(["exit-combine", "--pool", poolFile, partial(1), partial(2), partial(4), "--beacon-node", beacon.url, "--out", exitFile]);
    assert.match(combined.stderr, /participants 1, 2, 4/);
    assert.equal(beacon.received.at(-1)?.status, 200);
    const signed = JSON.parse(readFileSync(exitFile, "utf8")) as { message: { epoch: string; validator_index: string }; signature: string };
    assert.deepEqual(signed.message, { epoch: "150000", validator_index: String(INDEX) });
    assert.ok(exitVerifies(HOODI, composite, signed));
  });

  test("presign-exit (index from the beacon node) destroys the whole key; pool exit submits the exit", async () => {
    assert.ok(beacon !== undefined);
    const storeFile = join(agg, POOL_FILES.wholeKeys);
    assert.ok(existsSync(storeFile));
    const before = await bulwark(["status", "--data-dir", agg]);
    assert.match(before.stdout, /whole key sealed; exit not pre-signed/);

    const presigned = await bulwark(["presign-exit", "--data-dir", agg, "--pool", poolFile, "--beacon-node", beacon.url]);
    const exitPath = presigned.stdout.trim();
    assert.equal(exitPath, join(agg, POOL_FILES.exitsDir, `${composite}.json`));
    assert.match(presigned.stderr, new RegExp(`index ${INDEX}`));
    assert.match(presigned.stderr, /whole key destroyed: .* overwritten with zeros and removed/);
    assert.ok(!existsSync(storeFile));
    assert.ok(!filesUnder(agg).some((f) => f.includes(POOL_FILES.wholeKeys)));
    const stored = JSON.parse(readFileSync(exitPath, "utf8")) as { message: { epoch: string; validator_index: string }; signature: string };
    assert.equal(stored.message.validator_index, String(INDEX));
    assert.ok(exitVerifies(HOODI, composite, stored));

    const afterStatus = await bulwark(["status", "--data-dir", agg]);
    assert.match(afterStatus.stdout, /whole key destroyed; exit pre-signed/);
    const again = await bulwark(["presign-exit", "--data-dir", agg, "--pool", poolFile, "--validator-index", String(INDEX)], 1);
    assert.match(again.stderr, /already pre-signed/);

    const submitted = await bulwark(["exit", "--data-dir", agg, "--pool", poolFile, "--beacon-node", beacon.url], 0, {});
    assert.match(submitted.stderr, /accepted the exit of validator 424242/);
    assert.deepEqual(beacon.received.at(-1), { body: stored, status: 200 });

    // A beacon node that does not know the validator refuses it: the command fails and says why.
    const stranger = await startBeaconStandIn(HOODI, {});
    try {
      const refused = await bulwark(["exit", "--data-dir", agg, "--pool", poolFile, "--beacon-node", stranger.url], 1, {});
      assert.match(refused.stderr, /refused the exit \(HTTP 400\)/);
    } finally {
      await stranger.close();
    }
  });
});

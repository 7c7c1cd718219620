// The remote-signing-api batch endpoint: POST /api/v1/eth2/sign {identifiers, signing_request}.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ForkName } from "@lodestar/params";
import {
  aggregationSlotCase,
  attestationCase,
  headerBlockCase,
  randaoCase,
  type SigningCase,
  startSlot,
  syncCommitteeMessageCase,
  syncSelectionProofCase,
} from "./cases.js";
import { expectedSignature, history, newKey, type Signer, startSigner, type TestKey, verifies } from "./harness.js";

type BatchEntry = { identifier: string; signature?: string; error?: { code: number; message: string } };

describe("batch signing over HTTP", () => {
  let signer: Signer;
  let keys: TestKey[];
  before(async () => {
    signer = await startSigner({ keys: 12 });
    keys = signer.keys;
  });
  after(async () => {
    await signer?.close();
  });

  async function batch(identifiers: unknown, signingRequest: unknown): Promise<{ status: number; json: unknown }> {
    const response = await signer.post("/api/v1/eth2/sign", { identifiers, signing_request: signingRequest }, { accept: "application/json" });
    return { status: response.status, json: await response.json() };
  }

  const batchCases: SigningCase[] = [
    attestationCase(1000, 1001),
    aggregationSlotCase(startSlot(ForkName.electra) + 77),
    randaoCase(startSlot(ForkName.fulu) / 32 + 11),
    syncCommitteeMessageCase(startSlot(ForkName.electra) + 9),
    syncSelectionProofCase(startSlot(ForkName.deneb) + 15),
  ];

  for (const c of batchCases) {
    test(`${c.body.type as string}: one verified result per identifier, in order`, async () => {
      // A different order from the key list, to be sure results follow the request's order.
      const ids = [keys[3]!, keys[0]!, keys[2]!, keys[1]!];
      const { status, json } = await batch(ids.map((k) => k.pubkey), c.body);
      assert.equal(status, 200, JSON.stringify(json));
      const results = json as BatchEntry[];
      assert.equal(results.length, ids.length);
      results.forEach((entry, i) => {
        const key = ids[i]!;
        assert.deepEqual(Object.keys(entry).sort(), ["identifier", "signature"]);
        assert.equal(entry.identifier, key.pubkey);
        assert.equal(entry.signature, expectedSignature(key, c.root));
        assert.ok(verifies(key, c.root, entry.signature!));
      });
    });
  }

  test("an unknown key gets its own {identifier, error:{code:404}} entry; the others sign", async () => {
    const stranger = newKey();
    const c = randaoCase(4242);
    const ids = [keys[0]!.pubkey, stranger.pubkey, keys[1]!.pubkey];
    const { status, json } = await batch(ids, c.body);
    assert.equal(status, 200, JSON.stringify(json));
    const results = json as BatchEntry[];
    assert.equal(results.length, 3);
    assert.equal(results[0]!.signature, expectedSignature(keys[0]!, c.root));
    assert.equal(results[1]!.identifier, stranger.pubkey);
    assert.equal(results[1]!.signature, undefined);
    assert.equal(results[1]!.error?.code, 404);
    assert.equal(typeof results[1]!.error?.message, "string");
    assert.equal(results[2]!.signature, expectedSignature(keys[1]!, c.root));
  });

  test("a slashable attestation in a batch gets {code:412} and records nothing for that key; the others sign", async () => {
    const [a, b] = [keys[4]!, keys[5]!];
    const first = attestationCase(1100, 1101, 1);
    const single = await signer.sign(a.pubkey, first.body);
    assert.equal(single.status, 200);
    const exportedBefore = JSON.parse(await signer.core.exportProtection([a.pubkey])) as unknown;

    const conflicting = attestationCase(1100, 1101, 2);
    const { status, json } = await batch([a.pubkey, b.pubkey], conflicting.body);
    assert.equal(status, 200, JSON.stringify(json));
    const results = json as BatchEntry[];
    assert.equal(results[0]!.identifier, a.pubkey);
    assert.equal(results[0]!.signature, undefined);
    assert.equal(results[0]!.error?.code, 412);
    assert.match(results[0]!.error!.message, /double vote/);
    assert.equal(results[1]!.signature, expectedSignature(b, conflicting.root));
    assert.deepEqual(JSON.parse(await signer.core.exportProtection([a.pubkey])), exportedBefore);
  });

  test("a batch attestation is recorded for every key: a conflicting single request afterwards is refused", async () => {
    const ids = [keys[6]!, keys[7]!, keys[8]!];
    const c = attestationCase(1200, 1201, 1);
    const { status, json } = await batch(ids.map((k) => k.pubkey), c.body);
    assert.equal(status, 200, JSON.stringify(json));
    for (const entry of json as BatchEntry[]) assert.ok(entry.signature);
    const conflicting = attestationCase(1200, 1201, 2);
    for (const key of ids) {
      const response = await signer.sign(key.pubkey, conflicting.body);
      assert.equal(response.status, 412, JSON.stringify(response.json));
      assert.equal(response.json.signature, undefined);
      // A surrounding vote is refused as well.
      const surround = await signer.sign(key.pubkey, attestationCase(1199, 1202).body);
      assert.equal(surround.status, 412);
    }
    const exported = JSON.parse(await signer.core.exportProtection(ids.map((k) => k.pubkey))) as {
      data: Array<{ pubkey: string; signed_attestations: unknown[] }>;
    };
    assert.deepEqual(
      exported.data.map((v) => [v.pubkey, v.signed_attestations]),
      ids.map((k) => [k.pubkey, [{ source_epoch: "1200", target_epoch: "1201", signing_root: c.root }]]),
    );
  });

  test("duplicate identifiers are refused with 400 (also when they differ only in case), nothing recorded", async () => {
    const k = keys[9]!;
    const c = attestationCase(1300, 1301);
    const before = await history(signer.core);
    for (const ids of [
      [k.pubkey, keys[10]!.pubkey, k.pubkey],
      [k.pubkey, "0x" + k.pubkey.slice(2).toUpperCase()],
    ]) {
      const { status, json } = await batch(ids, c.body);
      assert.equal(status, 400, JSON.stringify(json));
      assert.match((json as { message: string }).message, /identifiers/);
      assert.doesNotMatch(JSON.stringify(json), /0x[0-9a-f]{192}/);
    }
    assert.deepEqual(await history(signer.core), before);
  });

  test("unsupported request types are refused with 400, nothing recorded", async () => {
    const k = keys[9]!;
    const before = await history(signer.core);
    for (const c of [headerBlockCase("DENEB", startSlot(ForkName.deneb) + 99)]) {
      const { status, json } = await batch([k.pubkey], c.body);
      assert.equal(status, 400, JSON.stringify(json));
      assert.match((json as { message: string }).message, /^type: /);
    }
    for (const type of ["BLOCK_V2", "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF", "VOLUNTARY_EXIT", "DEPOSIT", "NOPE"]) {
      const { status } = await batch([k.pubkey], { type });
      assert.equal(status, 400, type);
    }
    assert.deepEqual(await history(signer.core), before);
  });

  test("malformed batches are refused with 400 and record nothing", async () => {
    const k = keys[9]!;
    const c = attestationCase(1400, 1401);
    const before = await history(signer.core);
    const bad: Array<[unknown, unknown]> = [
      [[], c.body],
      ["not-an-array", c.body],
      [[k.pubkey, 7], c.body],
      [["0x1234"], c.body],
      [[k.pubkey], { ...c.body, fork_info: "nope" }],
      [[k.pubkey], { ...c.body, signingRoot: "0x" + "11".repeat(32) }],
      [[k.pubkey], undefined],
    ];
    for (const [ids, request] of bad) {
      const { status, json } = await batch(ids, request);
      assert.equal(status, 400, `${JSON.stringify(ids)} -> ${JSON.stringify(json)}`);
    }
    assert.deepEqual(await history(signer.core), before);
    // The well-formed batch afterwards signs: nothing was recorded by the malformed ones.
    const { status, json } = await batch([k.pubkey], attestationCase(1400, 1401, 3).body);
    assert.equal(status, 200);
    assert.equal((json as BatchEntry[])[0]!.signature, expectedSignature(k, attestationCase(1400, 1401, 3).root));
  });
});

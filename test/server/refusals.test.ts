// End-to-end refusals over HTTP: status codes, messages, and that a refused or malformed request
// records nothing (the EIP-3076 export is unchanged and a conflicting message is still signable).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { bytes, clone, hex } from "../eth/helpers.js";
import { attestationCase, headerBlockCase, randaoCase, startSlot } from "./cases.js";
import { ForkName } from "@lodestar/params";
import { expectedSignature, history, newKey, type Signer, startSigner, verifies } from "./harness.js";

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  signature?: unknown;
}

const ELECTRA = startSlot(ForkName.electra);

describe("refusals over HTTP", () => {
  let signer: Signer;
  let nextKey = 0;
  const key = () => signer.keys[nextKey++]!;
  before(async () => {
    signer = await startSigner({ keys: 16 });
  });
  after(async () => {
    await signer?.close();
  });

  /** Sends a request that must be refused; checks the status and that history did not change. */
  async function refused(pubkey: string, body: unknown, status: number, message: RegExp): Promise<ErrorBody> {
    const before = await history(signer.core);
    const response = await signer.post(`/api/v1/eth2/sign/${pubkey}`, body, { accept: "application/json" });
    const text = await response.text();
    assert.equal(response.status, status, text);
    const json = JSON.parse(text) as ErrorBody;
    assert.equal(json.signature, undefined, "no signature in a refusal");
    assert.doesNotMatch(text, /0x[0-9a-f]{192}/, "nothing that looks like a signature");
    assert.equal(json.statusCode, status);
    assert.match(json.message, message);
    assert.deepEqual(await history(signer.core), before, "a refused request records nothing");
    return json;
  }

  async function signed(pubkey: string, c: { body: unknown; root: string }): Promise<void> {
    const response = await signer.sign(pubkey, c.body);
    assert.equal(response.status, 200, JSON.stringify(response.json));
    const k = signer.keys.find((candidate) => candidate.pubkey === pubkey)!;
    assert.equal(response.json.signature, expectedSignature(k, c.root));
  }

  test("double block proposal: 412", async () => {
    const k = key();
    const slot = ELECTRA + 100;
    await signed(k.pubkey, headerBlockCase("ELECTRA", slot, 40));
    const recorded = await history(signer.core);
    await refused(k.pubkey, headerBlockCase("ELECTRA", slot, 41).body, 412, new RegExp(`double block at slot ${slot}`));
    // The identical block again is fine, and still only one block is recorded.
    await signed(k.pubkey, headerBlockCase("ELECTRA", slot, 40));
    assert.deepEqual(await history(signer.core), recorded);
  });

  test("double vote: 412", async () => {
    const k = key();
    await signed(k.pubkey, attestationCase(100, 101, 1));
    await refused(k.pubkey, attestationCase(100, 101, 2).body, 412, /double vote for target 101/);
    // Same target with another source is a double vote too.
    await refused(k.pubkey, attestationCase(99, 101, 1).body, 412, /double vote for target 101/);
  });

  test("surround vote, both ways: 412", async () => {
    const k = key();
    await signed(k.pubkey, attestationCase(2, 3));
    await signed(k.pubkey, attestationCase(10, 20));
    await refused(k.pubkey, attestationCase(9, 21).body, 412, /surround vote, it surrounds the signed vote source 10 target 20/);
    await refused(k.pubkey, attestationCase(11, 19).body, 412, /surround vote, it is surrounded by the signed vote source 10 target 20/);
    // A non-surrounding later vote is still signed.
    await signed(k.pubkey, attestationCase(20, 21));
  });

  test("source after target: 412", async () => {
    const k = key();
    await refused(k.pubkey, attestationCase(30, 29).body, 412, /source epoch 30 is after target epoch 29/);
  });

  test("wrong network (genesis validators root): 412, for attestations, blocks and unprotected types", async () => {
    const k = key();
    const otherChain = hex(bytes(32, 99));
    for (const c of [attestationCase(40, 41), headerBlockCase("DENEB", startSlot(ForkName.deneb) + 5), randaoCase(900)]) {
      const body = clone(c.body);
      (body.fork_info as Record<string, unknown>).genesis_validators_root = otherChain;
      const json = await refused(k.pubkey, body, 412, /genesis_validators_root/);
      assert.match(json.message, new RegExp(otherChain));
    }
    // Nothing recorded: the same attestation on the right chain signs.
    await signed(k.pubkey, attestationCase(40, 41));
  });

  test("signing root mismatch: 400 naming the field, nothing recorded", async () => {
    const k = key();
    const c = attestationCase(50, 51);
    const wrong = hex(bytes(32, 77));
    await refused(k.pubkey, { ...c.body, signingRoot: wrong }, 400, /^signingRoot \(signing_root\): /);
    const json = await refused(k.pubkey, { ...c.body, signing_root: wrong }, 400, /signing_?[rR]oot/);
    assert.match(json.message, new RegExp(wrong));
    // The two spellings disagreeing is refused too.
    await refused(k.pubkey, { ...c.body, signingRoot: c.root, signing_root: wrong }, 400, /signing_?[rR]oot/);
    const block = headerBlockCase("FULU", startSlot(ForkName.fulu) + 3);
    await refused(k.pubkey, { ...block.body, signingRoot: wrong }, 400, /^signingRoot \(signing_root\): /);
    // Nothing was recorded for either: a different message at the same target / slot still signs.
    await signed(k.pubkey, attestationCase(50, 51, 9));
    await signed(k.pubkey, headerBlockCase("FULU", startSlot(ForkName.fulu) + 3, 9));
  });

  test("unknown key: 404, nothing recorded for it", async () => {
    const stranger = newKey();
    const json = await refused(stranger.pubkey, attestationCase(60, 61).body, 404, new RegExp(stranger.pubkey.slice(2, 20)));
    assert.equal(json.error, "unknown-key");
    const exported = JSON.parse(await signer.core.exportProtection()) as { data: Array<{ pubkey: string }> };
    assert.ok(!exported.data.some((v) => v.pubkey === stranger.pubkey));
    // A path parameter that is not even a key is 404 (or 400), never a signature.
    const response = await signer.post("/api/v1/eth2/sign/not-a-key", attestationCase(60, 61).body);
    assert.ok(response.status === 404 || response.status === 400, String(response.status));
  });

  test("malformed JSON: 400", async () => {
    const k = key();
    const text = JSON.stringify(attestationCase(70, 71).body);
    await refused(k.pubkey, text.slice(0, -5), 400, /JSON|json/);
    await refused(k.pubkey, "", 400, /.+/);
    await refused(k.pubkey, "[1,2,3]", 400, /.+/);
    await refused(k.pubkey, "null", 400, /.+/);
  });

  test("wrong field types: 400 naming the field path", async () => {
    const k = key();
    const base = attestationCase(80, 81).body;
    const mutate = (f: (b: Record<string, any>) => void) => {
      const b = clone(base) as Record<string, any>;
      f(b);
      return b;
    };
    await refused(k.pubkey, mutate((b) => (b.attestation.source.epoch = { n: 80 })), 400, /^attestation\.source\.epoch: /);
    await refused(k.pubkey, mutate((b) => (b.attestation.target.epoch = "81abc")), 400, /^attestation\.target\.epoch: /);
    await refused(k.pubkey, mutate((b) => (b.attestation.target.epoch = -1)), 400, /^attestation\.target\.epoch: /);
    await refused(k.pubkey, mutate((b) => (b.attestation.beacon_block_root = "0x1234")), 400, /^attestation\.beacon_block_root: /);
    await refused(k.pubkey, mutate((b) => delete b.attestation.target), 400, /^attestation\.target: missing/);
    await refused(k.pubkey, mutate((b) => (b.fork_info.fork.current_version = 5)), 400, /^fork_info\.fork\.current_version: /);
    await refused(k.pubkey, mutate((b) => (b.fork_info = "mainnet")), 400, /^fork_info: /);
    await refused(k.pubkey, mutate((b) => (b.type = "ATTESTATION_PLEASE")), 400, /^type: /);
    await refused(k.pubkey, mutate((b) => (b.type = 7)), 400, /^type: /);
    const block = clone(headerBlockCase("CAPELLA", startSlot(ForkName.capella) + 8).body) as Record<string, any>;
    block.beacon_block.block_header.slot = "eight";
    await refused(k.pubkey, block, 400, /^beacon_block\.block_header\.slot: /);
    block.beacon_block.block_header.slot = String(startSlot(ForkName.capella) + 8);
    block.beacon_block.version = "SHANGHAI";
    await refused(k.pubkey, block, 400, /^beacon_block\.version: /);
    // After all that, the well-formed attestation signs: nothing was recorded.
    await signed(k.pubkey, attestationCase(80, 81));
  });

  test("the wire error body has the Web3Signer shape", async () => {
    const stranger = newKey();
    const response = await signer.post(`/api/v1/eth2/sign/${stranger.pubkey}`, randaoCase(3).body);
    assert.equal(response.status, 404);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    const json = (await response.json()) as ErrorBody;
    assert.deepEqual(Object.keys(json).sort(), ["error", "message", "statusCode"]);
  });
});

describe("oversized body", () => {
  let signer: Signer;
  before(async () => {
    signer = await startSigner({ keys: 1, bodyLimit: 1024 });
  });
  after(async () => {
    await signer?.close();
  });

  test("a body over bodyLimit gets 413 and records nothing", async () => {
    const k = signer.keys[0]!;
    const c = attestationCase(90, 91);
    const big = { ...c.body, padding: "x".repeat(2048) };
    const before = await history(signer.core);
    const response = await signer.post(`/api/v1/eth2/sign/${k.pubkey}`, big);
    const text = await response.text();
    assert.equal(response.status, 413, text);
    assert.doesNotMatch(text, /signature/);
    assert.match((JSON.parse(text) as ErrorBody).message, /1024 bytes/);
    assert.deepEqual(await history(signer.core), before);
    // A conflicting vote for the same target still signs: the oversized one was not recorded.
    const other = attestationCase(90, 91, 5);
    const ok = await signer.sign(k.pubkey, other.body);
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.ok(verifies(k, other.root, ok.json.signature as string));
  });

  test("a body just under the limit is still accepted", async () => {
    const k = signer.keys[0]!;
    const c = randaoCase(77);
    const body = JSON.stringify(c.body);
    assert.ok(Buffer.byteLength(body) < 1024);
    const response = await signer.post(`/api/v1/eth2/sign/${k.pubkey}`, body);
    assert.equal(response.status, 200);
  });
});

describe("broken database", () => {
  let signer: Signer;
  before(async () => {
    signer = await startSigner({ keys: 1 });
  });
  after(async () => {
    await signer?.close();
  });

  test("a dropped table gives 500 with no signature, JSON or plain text", async () => {
    const k = signer.keys[0]!;
    await signed2(signer, attestationCase(5, 6));
    assert.equal((await signer.get("/healthcheck")).status, 200);

    const other = new Database(signer.dbPath);
    other.exec("DROP TABLE signed_attestations");
    other.close();

    const response = await signer.post(`/api/v1/eth2/sign/${k.pubkey}`, attestationCase(6, 7).body, { accept: "application/json" });
    const text = await response.text();
    assert.equal(response.status, 500, text);
    const json = JSON.parse(text) as ErrorBody;
    assert.equal(json.signature, undefined);
    assert.doesNotMatch(text, /0x[0-9a-f]{192}/);
    assert.match(json.message, /slashing protection/);

    const plain = await signer.post(`/api/v1/eth2/sign/${k.pubkey}`, attestationCase(7, 8).body, { accept: "text/plain" });
    assert.equal(plain.status, 500);
    assert.doesNotMatch(await plain.text(), /0x[0-9a-f]{192}/);
  });

  // Runs after the test above, on the same broken database.
  test("after the store failed, /healthcheck reports 503 with slashing-protection DOWN", async () => {
    const response = await signer.get("/healthcheck");
    const body = await response.text();
    assert.equal(response.status, 503, body);
    const health = JSON.parse(body) as { status: string; checks: Array<{ id: string; status: string }> };
    assert.equal(health.status, "DOWN");
    assert.equal(health.checks.find((c) => c.id === "slashing-protection")?.status, "DOWN");
  });
});

async function signed2(signer: Signer, c: { body: unknown; root: string }): Promise<void> {
  const k = signer.keys[0]!;
  const response = await signer.sign(k.pubkey, c.body);
  assert.equal(response.status, 200, JSON.stringify(response.json));
  assert.equal(response.json.signature, expectedSignature(k, c.root));
}

// The sign path of the signing core, called directly (no HTTP): a real SQLite store in a temp dir,
// real blst keys, request bodies and their spec roots from test/server/cases.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SecretKey, Signature, verify } from "@chainsafe/blst";
import type { SignOutcome } from "../../src/core/api.js";
import { fromHex } from "../eth/helpers.js";
import { attestationCase, randaoCase } from "../server/cases.js";
import { coreStarter, pubkeyOf } from "./core-fixture.js";

const keyA = SecretKey.fromKeygen(new Uint8Array(32).fill(71));
const keyB = SecretKey.fromKeygen(new Uint8Array(32).fill(72));
const core = coreStarter();

function signedBy(key: SecretKey, root: string, outcome: SignOutcome | undefined): void {
  assert.ok(outcome?.ok, `not signed: ${JSON.stringify(outcome)}`);
  assert.ok(verify(fromHex(root), key.toPublicKey(), Signature.fromHex(outcome.signature), true, true), "the signature does not verify over the spec root");
}

function refused(outcome: SignOutcome | undefined, code: string, reason?: string): void {
  assert.ok(outcome !== undefined && !outcome.ok, `signed, expected ${code}`);
  assert.equal(outcome.error.code, code, outcome.error.message);
  if (reason !== undefined) assert.equal(outcome.error.reason, reason);
}

describe("signing core: sign", () => {
  it("signs an attestation over the spec signing root and records it", async () => {
    const { core: signer, store } = await core({ keys: [keyA] });
    const attestation = attestationCase(10, 11);
    signedBy(keyA, attestation.root, await signer.sign(pubkeyOf(keyA), attestation.body));
    assert.deepEqual(await store.listValidators(), [pubkeyOf(keyA)]);
  });

  it("refuses slashable attestations (surround, surrounded, double vote) and keeps the first", async () => {
    const { core: signer } = await core({ keys: [keyA] });
    const earlier = attestationCase(10, 11);
    signedBy(keyA, earlier.root, await signer.sign(pubkeyOf(keyA), earlier.body));
    const first = attestationCase(20, 23);
    signedBy(keyA, first.root, await signer.sign(pubkeyOf(keyA), first.body));
    refused(await signer.sign(pubkeyOf(keyA), attestationCase(15, 24).body), "slashing", "surrounds-existing");
    refused(await signer.sign(pubkeyOf(keyA), attestationCase(21, 22).body), "slashing", "surrounded-by-existing");
    refused(await signer.sign(pubkeyOf(keyA), attestationCase(20, 23, 2).body), "slashing", "double-vote");
    // The same message again is a harmless repeat.
    signedBy(keyA, first.root, await signer.sign(pubkeyOf(keyA), first.body));
  });

  it("refuses by policy before anything is recorded", async () => {
    const { core: signer, store } = await core({ keys: [keyA], policy: { refusedTypes: new Set(["ATTESTATION"]) } });
    refused(await signer.sign(pubkeyOf(keyA), attestationCase(30, 31).body), "policy", "refused-type");
    assert.deepEqual(await store.listValidators(), [], "a refused request left a protection record");
  });

  it("refuses a supplied signing root that is not the computed one, and records nothing", async () => {
    const { core: signer, store } = await core({ keys: [keyA] });
    const attestation = attestationCase(40, 41);
    const outcome = await signer.sign(pubkeyOf(keyA), { ...attestation.body, signingRoot: "0x" + "ab".repeat(32) });
    refused(outcome, "root-mismatch");
    assert.match((outcome as { error: { message: string } }).error.message, /does not match computed/);
    assert.deepEqual(await store.listValidators(), []);
    // The right root, supplied, is accepted.
    signedBy(keyA, attestation.root, await signer.sign(pubkeyOf(keyA), { ...attestation.body, signingRoot: attestation.root }));
  });

  it("refuses an unknown key and a malformed body", async () => {
    const { core: signer } = await core({ keys: [keyA] });
    refused(await signer.sign(pubkeyOf(keyB), randaoCase(3).body), "unknown-key");
    refused(await signer.sign(pubkeyOf(keyA), { type: "RANDAO_REVEAL" }), "bad-request");
  });

  it("signs a batch: one outcome per identifier in order, unknown keys refused, one protection check", async () => {
    const { core: signer, store } = await core({ keys: [keyA, keyB] });
    const attestation = attestationCase(50, 53);
    const unknown = pubkeyOf(SecretKey.fromKeygen(new Uint8Array(32).fill(73)));
    const batch = await signer.signBatch([pubkeyOf(keyB), unknown, pubkeyOf(keyA)], attestation.body);
    assert.ok(batch.ok);
    assert.equal(batch.results.length, 3);
    signedBy(keyB, attestation.root, batch.results[0]);
    refused(batch.results[1], "unknown-key");
    signedBy(keyA, attestation.root, batch.results[2]);
    assert.deepEqual((await store.listValidators()).sort(), [pubkeyOf(keyA), pubkeyOf(keyB)].sort());
    // Both keys now refuse another vote for the same target.
    const doubleVote = await signer.signBatch([pubkeyOf(keyA), pubkeyOf(keyB)], attestationCase(50, 53, 2).body);
    assert.ok(doubleVote.ok);
    for (const outcome of doubleVote.results) refused(outcome, "slashing", "double-vote");
  });

  it("refuses a whole batch of a type that is not batch-eligible, or with a key twice", async () => {
    const { core: signer } = await core({ keys: [keyA] });
    const notBatch = await signer.signBatch([pubkeyOf(keyA)], { type: "BLOCK_V2" });
    assert.ok(!notBatch.ok);
    assert.equal(notBatch.error.code, "bad-request");
    assert.match(notBatch.error.message, /batch signing supports/);
    const twice = await signer.signBatch([pubkeyOf(keyA), pubkeyOf(keyA)], randaoCase(4).body);
    assert.ok(!twice.ok);
    assert.equal(twice.error.code, "bad-request");
  });
});

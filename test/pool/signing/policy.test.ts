// The signing policy through the pool aggregator (3-of-4, in-process participants over real HTTP):
// deposits for the composite key (hole 1) and far-future requests (hole 2) are refused with 412
// before anything is fanned out; participants' own policy refusals (start guard, deposits) make
// the aggregator answer 412, not 503, like slashing refusals.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { genesisData } from "@lodestar/config/networks";
import { DOMAIN_DEPOSIT, SLOTS_PER_EPOCH } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { hex, specDomain, specSigningRoot } from "../../eth/helpers.js";
import { TEST_DEPOSIT_CREDENTIALS } from "../../helpers/policy.js";
import { attestationCase, headerBlockCase } from "../../server/cases.js";
import { type Cluster, MAINNET, signRequestsTo, startCluster, verifiesComposite } from "./participant-harness.js";

const nowEpoch = () => Math.floor((Date.now() - genesisData.mainnet.genesisTime * 1000) / (12_000 * SLOTS_PER_EPOCH));

function depositCase(composite: string, withdrawalCredentials: Uint8Array, genesisForkVersion: Uint8Array = MAINNET.config.GENESIS_FORK_VERSION) {
  const message = { pubkey: Buffer.from(composite.slice(2), "hex"), withdrawalCredentials, amount: 32_000_000_000 };
  return {
    body: { type: "DEPOSIT", deposit: { ...ssz.phase0.DepositMessage.toJson(message), genesis_fork_version: hex(genesisForkVersion) } },
    root: specSigningRoot(ssz.phase0.DepositMessage.hashTreeRoot(message), specDomain(DOMAIN_DEPOSIT, genesisForkVersion, new Uint8Array(32))),
  };
}

describe("policy at the aggregator (participants would sign)", () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ aggregatorPolicy: { depositAllow: [] } });
  });
  after(async () => {
    await c?.close();
  });

  test("hole 1: a DEPOSIT for the composite key is refused (412) before any participant is asked, whatever the credentials or fork version", async () => {
    for (const deposit of [
      depositCase(c.pool.composite, TEST_DEPOSIT_CREDENTIALS),
      depositCase(c.pool.composite, new Uint8Array(32).fill(0x66)),
      depositCase(c.pool.composite, TEST_DEPOSIT_CREDENTIALS, Uint8Array.from([0x10, 0x00, 0x09, 0x10])),
    ]) {
      const { status, json } = await c.aggregator.sign(deposit.body);
      assert.equal(status, 412);
      assert.equal(json.error, "policy");
      assert.match(String(json.message), /deposit/);
    }
    assert.equal(signRequestsTo(c), 0);
  });

  test("hole 2: a far-future attestation and block get 412 (not 503) before any fan-out; nothing is recorded anywhere", async () => {
    const far = await c.aggregator.sign(attestationCase(999_999_999, 1_000_000_000).body);
    assert.equal(far.status, 412, far.text);
    assert.match(String(far.json.message), /future.*clock says/);
    const block = await c.aggregator.sign(headerBlockCase("FULU", 2 ** 40).body);
    assert.equal(block.status, 412, block.text);
    assert.match(String(block.json.message), /future/);
    assert.equal(signRequestsTo(c), 0);
    for (const p of c.participants) assert.equal((JSON.parse(await p.core.exportProtection()) as { data: unknown[] }).data.length, 0);
    // The honest vote of the epoch still signs through the pool.
    const epoch = nowEpoch();
    const honest = attestationCase(epoch - 1, epoch);
    const signed = await c.aggregator.sign(honest.body);
    assert.equal(signed.status, 200, signed.text);
    assert.ok(verifiesComposite(c.pool, honest.root, signed.json.signature as string));
  });
});

describe("policy at the participants (the aggregator would sign)", () => {
  test("participants with their start guard on: the aggregator answers 412 naming the start guard, not 503", async () => {
    const epoch = nowEpoch();
    const c = await startCluster({ participantPolicy: { startGuardEpoch: epoch + 1 } });
    try {
      const { status, json, text } = await c.aggregator.sign(attestationCase(epoch, epoch + 1).body);
      assert.equal(status, 412, text);
      assert.match(String(json.message), /start guard/);
      assert.match(String(json.message), /participants 1, 2, 3, 4|participants [1-4], [1-4]/);
    } finally {
      await c.close();
    }
  });

  test("participants refusing a deposit the aggregator allows: 412 from the pool", async () => {
    const c = await startCluster({ participantPolicy: { depositAllow: [] } });
    try {
      const deposit = depositCase(c.pool.composite, TEST_DEPOSIT_CREDENTIALS);
      const { status, json, text } = await c.aggregator.sign(deposit.body);
      assert.equal(status, 412, text);
      assert.match(String(json.message), /deposit.*--deposit-allow/);
      assert.ok(signRequestsTo(c) >= 2, "the participants were asked and refused");
    } finally {
      await c.close();
    }
  });

  test("a deposit every party allows signs and verifies against the composite key (the allow-list is what decides)", async () => {
    const c = await startCluster();
    try {
      const deposit = depositCase(c.pool.composite, TEST_DEPOSIT_CREDENTIALS);
      const { status, json, text } = await c.aggregator.sign(deposit.body);
      assert.equal(status, 200, text);
      assert.ok(verifiesComposite(c.pool, deposit.root, json.signature as string));
      const other = await c.aggregator.sign(depositCase(c.pool.composite, TEST_DEPOSIT_CREDENTIALS, Uint8Array.from([0x10, 0x00, 0x09, 0x10])).body);
      assert.equal(other.status, 412, "another network's genesis fork version is refused even for allowed credentials");
    } finally {
      await c.close();
    }
  });
});

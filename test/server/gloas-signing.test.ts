// The Gloas (ePBS) signing types over real HTTP on a devnet config.yaml that schedules Gloas: each
// signs byte-identically to blst over the spec's signing root (computed in gloas-cases.ts with
// lodestar), is refused before the fork and on a network without it, and the one slashable type
// (a Gloas block) is refused on conflict.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { resolveNetwork } from "../../src/config/networks.js";
import { DEVNET_GVR, devnetSlot, LODESTAR_DEVNET, writeDevnetConfig } from "../eth/gloas-network.js";
import { blockCase, gloasCases, payloadAttestationCase } from "../eth/gloas-cases.js";
import { expectedSignature, LODESTAR_MAINNET, type Signer, startSigner, verifies } from "./harness.js";

const SLOT = devnetSlot("GLOAS", 40);
const cases = gloasCases(LODESTAR_DEVNET, SLOT);

describe("Gloas signing types on a Gloas devnet (config.yaml)", () => {
  let signer: Signer;
  let config: { path: string; cleanup: () => void };
  before(async () => {
    config = writeDevnetConfig();
    signer = await startSigner({ network: resolveNetwork(config.path, DEVNET_GVR), keys: cases.length + 4 });
  });
  after(async () => {
    await signer?.close();
    config?.cleanup();
  });

  test("the cases cover every Gloas type and the GLOAS versions of the older ones", () => {
    assert.deepEqual(cases.map((c) => c.type).sort(), [
      "AGGREGATE_AND_PROOF_V2",
      "BLOCK_V2",
      "BUILDER_REQUEST_AUTH",
      "EXECUTION_PAYLOAD_BID",
      "EXECUTION_PAYLOAD_ENVELOPE",
      "PAYLOAD_ATTESTATION_MESSAGE",
      "PROPOSER_PREFERENCES",
    ]);
    assert.equal(new Set(cases.map((c) => c.root)).size, cases.length);
  });

  cases.forEach((c, i) => {
    test(`${c.name} signs blst's signature over the spec root, with or without signingRoot`, async () => {
      const key = signer.keys[i]!;
      const first = await signer.sign(key.pubkey, c.body);
      assert.equal(first.status, 200, JSON.stringify(first.json));
      assert.equal((first.json.signature as string).toLowerCase(), expectedSignature(key, c.root));
      assert.ok(verifies(key, c.root, first.json.signature as string));
      const withRoot = await signer.sign(key.pubkey, { ...c.body, signingRoot: c.root });
      assert.equal(withRoot.status, 200, JSON.stringify(withRoot.json));
      assert.equal(withRoot.json.signature, first.json.signature);
      const wrongRoot = await signer.sign(key.pubkey, { ...c.body, signingRoot: "0x" + "11".repeat(32) });
      assert.equal(wrongRoot.status, 400);
      assert.equal(wrongRoot.json.error, "root-mismatch");
    });
  });

  test("each Gloas type is refused before the Gloas fork", async () => {
    const key = signer.keys[cases.length]!;
    for (const c of gloasCases(LODESTAR_DEVNET, devnetSlot("FULU", 3))) {
      const { status, json } = await signer.sign(key.pubkey, c.body);
      assert.equal(status, 400, `${c.name}: ${JSON.stringify(json)}`);
      assert.match(json.message as string, /before the Gloas fork at epoch 8 on network gloas-devnet/, c.name);
    }
  });

  test("a Gloas block is block-protected: a second block at the slot is refused, the same one is not", async () => {
    const key = signer.keys[cases.length + 1]!;
    const slot = devnetSlot("GLOAS", 100);
    const first = blockCase(LODESTAR_DEVNET, slot, 1);
    const conflicting = blockCase(LODESTAR_DEVNET, slot, 2);
    assert.notEqual(first.root, conflicting.root);
    assert.equal((await signer.sign(key.pubkey, first.body)).status, 200);
    const refused = await signer.sign(key.pubkey, conflicting.body);
    assert.equal(refused.status, 412, JSON.stringify(refused.json));
    assert.equal(refused.json.error, "slashing");
    const repeat = await signer.sign(key.pubkey, first.body);
    assert.equal(repeat.status, 200);
    const exported = JSON.parse(await signer.core.exportProtection([key.pubkey])) as {
      data: Array<{ signed_blocks: Array<{ slot: string; signing_root: string }> }>;
    };
    assert.deepEqual(exported.data[0]!.signed_blocks, [{ slot: String(slot), signing_root: first.root }]);
  });

  test("the unpunished types are not recorded: two different PTC votes for one slot both sign", async () => {
    const key = signer.keys[cases.length + 2]!;
    const slot = devnetSlot("GLOAS", 101);
    for (const present of [true, false]) {
      const c = payloadAttestationCase(LODESTAR_DEVNET, slot, present);
      const { status, json } = await signer.sign(key.pubkey, c.body);
      assert.equal(status, 200, JSON.stringify(json));
      assert.equal((json.signature as string).toLowerCase(), expectedSignature(key, c.root));
    }
    const exported = JSON.parse(await signer.core.exportProtection([key.pubkey])) as {
      data: Array<{ signed_blocks: unknown[]; signed_attestations: unknown[] }>;
    };
    assert.ok(exported.data.every((entry) => entry.signed_blocks.length === 0 && entry.signed_attestations.length === 0));
  });

  test("the batch endpoint refuses the Gloas types (none is batch-eligible)", async () => {
    const c = payloadAttestationCase(LODESTAR_DEVNET, devnetSlot("GLOAS", 102));
    const response = await signer.post("/api/v1/eth2/sign", { identifiers: [signer.keys[0]!.pubkey], signing_request: c.body });
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { message: string }).message, /batch signing supports ATTESTATION/);
  });
});

describe("Gloas signing types on a network that has not scheduled Gloas (mainnet)", () => {
  let signer: Signer;
  before(async () => {
    signer = await startSigner({ keys: 1 });
  });
  after(async () => {
    await signer?.close();
  });

  test("each is refused, whatever fork_info says", async () => {
    const key = signer.keys[0]!;
    // Mainnet's own Fulu fork_info, so that only the missing Gloas fork is wrong.
    const fuluSlot = LODESTAR_MAINNET.config.forks.fulu.epoch * 32 + 5;
    for (const c of gloasCases(LODESTAR_MAINNET, fuluSlot)) {
      const { status, json } = await signer.sign(key.pubkey, c.body);
      assert.equal(status, 400, `${c.name}: ${JSON.stringify(json)}`);
      assert.match(json.message as string, /network mainnet has not scheduled the Gloas fork/, c.name);
    }
  });
});

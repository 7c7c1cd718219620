// The signing policy through the signer's HTTP API (in-process signer, real SQLite, real keys):
// deposit theft (hole 1), far-future brick (hole 2), the start guard with a moving clock,
// fee recipients and refused types, batch signing, /healthcheck.
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { genesisData } from "@lodestar/config/networks";
import { DOMAIN_DEPOSIT, SLOTS_PER_EPOCH } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { hex, specDomain, specSigningRoot } from "../eth/helpers.js";
import { TEST_DEPOSIT_CREDENTIALS } from "../helpers/policy.js";
import { attestationCase, headerBlockCase, network } from "./cases.js";
import { history, type Signer, startSigner, verifies } from "./harness.js";

const EPOCH_MS = 12_000 * SLOTS_PER_EPOCH;
const nowEpoch = () => Math.floor((Date.now() - genesisData.mainnet.genesisTime * 1000) / EPOCH_MS);

let signer: Signer | undefined;
afterEach(async () => {
  await signer?.close();
  signer = undefined;
});

function depositBody(withdrawalCredentials: Uint8Array, genesisForkVersion: Uint8Array = network.config.GENESIS_FORK_VERSION) {
  const message = { pubkey: new Uint8Array(48).fill(3), withdrawalCredentials, amount: 32_000_000_000 };
  return {
    body: { type: "DEPOSIT", deposit: { ...ssz.phase0.DepositMessage.toJson(message), genesis_fork_version: hex(genesisForkVersion) } },
    root: specSigningRoot(ssz.phase0.DepositMessage.hashTreeRoot(message), specDomain(DOMAIN_DEPOSIT, genesisForkVersion, new Uint8Array(32))),
  };
}

const address = "0x" + "42".repeat(20);
const credentialsOf = (prefix: number, addr: string) => Uint8Array.from([prefix, ...new Array(11).fill(0), ...Buffer.from(addr.slice(2), "hex")]);

describe("hole 1: deposit theft", () => {
  test("DEPOSIT is refused by default (412), whatever the withdrawal credentials", async () => {
    signer = await startSigner({ policy: { depositAllow: [] } });
    const key = signer.keys[0]!;
    for (const credentials of [credentialsOf(1, address), TEST_DEPOSIT_CREDENTIALS]) {
      const { status, json } = await signer.sign(key.pubkey, depositBody(credentials).body);
      assert.equal(status, 412);
      assert.equal(json.error, "policy");
      assert.match(String(json.message), /deposit.*--deposit-allow/);
    }
  });

  test("with --deposit-allow ADDRESS: its 0x01/0x02 credentials sign, an attacker's credentials and another network's fork version are refused", async () => {
    signer = await startSigner({ policy: { depositAllow: [{ kind: "address", address }] } });
    const key = signer.keys[0]!;
    for (const prefix of [1, 2]) {
      const ok = depositBody(credentialsOf(prefix, address));
      const { status, json } = await signer.sign(key.pubkey, ok.body);
      assert.equal(status, 200, JSON.stringify(json));
      assert.ok(verifies(key, ok.root, json.signature as string));
    }
    const theft = await signer.sign(key.pubkey, depositBody(credentialsOf(1, "0x" + "66".repeat(20))).body);
    assert.equal(theft.status, 412);
    assert.match(String(theft.json.message), /withdrawal credentials 0x010000000000000000000000(66){20}/);
    // Hoodi's genesis fork version: a deposit signature valid on another chain.
    const otherChain = await signer.sign(key.pubkey, depositBody(credentialsOf(1, address), Uint8Array.from([0x10, 0x00, 0x09, 0x10])).body);
    assert.equal(otherChain.status, 412);
    assert.match(String(otherChain.json.message), /genesis fork version 0x10000910/);
  });
});

describe("hole 2: far-future brick", () => {
  test("an attestation with target epoch 1,000,000,000 is refused and not recorded; honest votes still sign", async () => {
    signer = await startSigner();
    const key = signer.keys[0]!;
    const far = await signer.sign(key.pubkey, attestationCase(999_999_999, 1_000_000_000).body);
    assert.equal(far.status, 412);
    assert.equal(far.json.error, "policy");
    assert.match(String(far.json.message), /future.*clock says slot \d+, epoch \d+/);
    const exported = (await history(signer.core)) as { data: unknown[] };
    assert.equal(exported.data.length, 0, "nothing was recorded");
    const epoch = nowEpoch();
    const honest = attestationCase(epoch - 1, epoch);
    const { status, json } = await signer.sign(key.pubkey, honest.body);
    assert.equal(status, 200, JSON.stringify(json));
    assert.ok(verifies(key, honest.root, json.signature as string));
    // The limit itself: target = clock epoch + 1 signs, + 2 does not.
    assert.equal((await signer.sign(key.pubkey, attestationCase(epoch, epoch + 1).body)).status, 200);
    assert.equal((await signer.sign(key.pubkey, attestationCase(epoch + 1, epoch + 3).body)).status, 412);
  });

  test("a block at a far slot is refused (412 future); one at the current slot signs", async () => {
    signer = await startSigner();
    const key = signer.keys[0]!;
    const far = await signer.sign(key.pubkey, headerBlockCase("FULU", 2 ** 40).body);
    assert.equal(far.status, 412);
    assert.match(String(far.json.message), /block slot 1099511627776 is too far in the future/);
    const slot = Math.floor((Date.now() - genesisData.mainnet.genesisTime * 1000) / 12_000);
    assert.equal((await signer.sign(key.pubkey, headerBlockCase("FULU", slot).body)).status, 200);
  });

  test("batch signing: every identifier gets the refusal, unknown keys stay 404", async () => {
    signer = await startSigner({ keys: 2 });
    const body = { ...attestationCase(999_999_999, 1_000_000_000).body, type: "ATTESTATION" };
    const unknown = "0x" + "a1".repeat(48);
    const response = await signer.post("/api/v1/eth2/sign", { identifiers: [...signer.keys.map((k) => k.pubkey), unknown], signing_request: body });
    assert.equal(response.status, 200);
    const results = (await response.json()) as Array<{ error?: { code: number; message: string } }>;
    assert.deepEqual(results.map((r) => r.error?.code), [412, 412, 404]);
    assert.match(results[0]!.error!.message, /future/);
  });
});

describe("start guard through the signer", () => {
  test("refuses the honest vote right after start, signs it once the clock has passed E0; /healthcheck shows it", async () => {
    const started = Date.now();
    let clock = started;
    const epoch = nowEpoch();
    signer = await startSigner({ policy: { startGuardEpoch: epoch + 1 }, now: () => clock });
    const key = signer.keys[0]!;
    const refused = await signer.sign(key.pubkey, attestationCase(epoch, epoch + 1).body);
    assert.equal(refused.status, 412);
    assert.match(String(refused.json.message), new RegExp(`start guard.*resumes from epoch ${epoch + 2}, in about \\d+ min`));
    const health = (await (await signer.get("/healthcheck")).json()) as { checks: Array<{ id: string; status: string; data?: Record<string, unknown> }> };
    const guard = health.checks.find((c) => c.id === "start-guard");
    assert.equal(guard?.status, "UP");
    assert.equal(guard?.data?.active, true);
    assert.equal(guard?.data?.epoch, epoch + 1);

    // Two epochs later by the clock: the vote of epoch + 2 (source epoch + 1 = E0) signs.
    clock = genesisData.mainnet.genesisTime * 1000 + (epoch + 2) * EPOCH_MS;
    const resumed = await signer.sign(key.pubkey, attestationCase(epoch + 1, epoch + 2).body);
    assert.equal(resumed.status, 200, JSON.stringify(resumed.json));
    // A source older than E0 stays refused, however late.
    const oldSource = await signer.sign(key.pubkey, attestationCase(epoch, epoch + 3).body);
    assert.equal(oldSource.status, 412);
    assert.match(String(oldSource.json.message), /start guard/);
    const after = (await (await signer.get("/healthcheck")).json()) as { checks: Array<{ id: string; data?: Record<string, unknown> }> };
    assert.equal(after.checks.find((c) => c.id === "start-guard")?.data?.active, false);
  });
});

describe("fee recipients and refused types", () => {
  test("VALIDATOR_REGISTRATION to another fee recipient is refused when recipients are listed", async () => {
    signer = await startSigner({ policy: { allowedFeeRecipients: [address] } });
    const key = signer.keys[0]!;
    const registration = (feeRecipient: string) => ({
      type: "VALIDATOR_REGISTRATION",
      validator_registration: { fee_recipient: feeRecipient, gas_limit: "30000000", timestamp: "1700000000", pubkey: key.pubkey },
    });
    assert.equal((await signer.sign(key.pubkey, registration(address))).status, 200);
    const other = await signer.sign(key.pubkey, registration("0x" + "66".repeat(20)));
    assert.equal(other.status, 412);
    assert.match(String(other.json.message), /fee recipient 0x(66){20}/);
  });

  test("--refuse-types: a refused type gets 412, others sign", async () => {
    signer = await startSigner({ policy: { refusedTypes: new Set(["VOLUNTARY_EXIT", "ATTESTATION"]) } });
    const key = signer.keys[0]!;
    const epoch = nowEpoch();
    const refused = await signer.sign(key.pubkey, attestationCase(epoch - 1, epoch).body);
    assert.equal(refused.status, 412);
    assert.match(String(refused.json.message), /refuse ATTESTATION/);
    assert.equal((await signer.sign(key.pubkey, headerBlockCase("FULU", epoch * SLOTS_PER_EPOCH).body)).status, 200);
  });
});

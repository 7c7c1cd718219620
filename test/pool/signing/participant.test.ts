// The pool participant over real HTTP: coordinator authentication, the distributed-profile
// accounts, partial signatures that verify against the component key, and the participant's own
// durable slashing protection (keyed by the composite key) before any partial leaves.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SecretKey, Signature, verify } from "@chainsafe/blst";
import { ForkName } from "@lodestar/params";
import { resolveNetwork } from "../../../src/config/networks.js";
import { ParticipantError, prepareShares } from "../../../src/pool/signing/participant.js";
import { clone, fromHex } from "../../eth/helpers.js";
import { attestationCase, headerBlockCase, randaoCase, startSlot, syncCommitteeMessageCase } from "../../server/cases.js";
import { MAINNET, makePool, type RunningParticipant, startParticipant, type TestPool } from "./participant-harness.js";

describe("pool participant", () => {
  let pool: TestPool;
  let participant: RunningParticipant;
  const ID = 2;
  let base: string;
  const auth = () => ({ authorization: `Bearer ${pool.tokens.get(ID)!}` });
  const post = (path: string, body: unknown, headers: Record<string, string> = auth()) =>
    fetch(base + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  const signPath = () => `/api/v1/eth2/distributed/sign/${pool.composite}`;
  const componentKey = () => SecretKey.fromBytes(pool.split.shares[ID - 1]!.secretKey).toPublicKey();
  const history = async () => JSON.parse(await participant.core.exportProtection()) as { data: unknown[] };

  before(async () => {
    pool = await makePool(3, 4);
    participant = await startParticipant(pool, ID);
    base = participant.url;
  });
  after(async () => {
    await participant?.close();
  });

  test("401 without the coordinator's token, with a wrong one, or another scheme; nothing signed", async () => {
    const attestation = attestationCase(100, 101);
    const wrong: Array<Record<string, string>> = [
      {},
      { authorization: "Bearer wrong-token-of-the-right-length-maybe" },
      { authorization: `Bearer ${pool.tokens.get(ID)!}x` },
      { authorization: `Bearer ${pool.tokens.get(1)!}` },
      { authorization: `Basic ${pool.tokens.get(ID)!}` },
    ];
    for (const headers of wrong) {
      const sign = await post(signPath(), attestation.body, headers);
      assert.equal(sign.status, 401);
      const body = (await sign.json()) as Record<string, unknown>;
      assert.equal(body.signature, undefined);
      assert.equal((await fetch(`${base}/api/v1/eth2/distributed/accounts`, { headers })).status, 401);
      assert.equal((await fetch(`${base}/api/v1/eth2/distributed/accounts/${pool.composite}`, { headers })).status, 401);
    }
    assert.deepEqual((await history()).data, [], "no history: nothing was signed");
    // The unauthenticated endpoints stay open.
    assert.equal((await fetch(`${base}/upcheck`)).status, 200);
  });

  test("lists its account in the distributed-profile shape", async () => {
    const list = await fetch(`${base}/api/v1/eth2/distributed/accounts`, { headers: auth() });
    assert.equal(list.status, 200);
    const accounts = (await list.json()) as Array<Record<string, unknown>>;
    const expected = {
      participant_id: String(ID),
      public_key: componentKey().toHex(true).toLowerCase(),
      composite_public_key: pool.composite,
      signing_threshold: "3",
      participants: pool.pool.participants.map((p) => ({ id: String(p.id), endpoint: p.endpoint })),
    };
    assert.deepEqual(accounts, [expected]);
    const one = await fetch(`${base}/api/v1/eth2/distributed/accounts/${pool.composite.toUpperCase().replace("0X", "0x")}`, { headers: auth() });
    assert.equal(one.status, 200);
    assert.deepEqual(await one.json(), expected);
    const unknown = await fetch(`${base}/api/v1/eth2/distributed/accounts/0x${"ab".repeat(48)}`, { headers: auth() });
    assert.equal(unknown.status, 404);
  });

  test("a partial signature verifies against the component key, over the root it names", async () => {
    const cases = [
      attestationCase(200, 201),
      headerBlockCase("DENEB", startSlot(ForkName.deneb) + 5),
      syncCommitteeMessageCase(startSlot(ForkName.electra) + 7),
      randaoCase(400),
    ];
    for (const c of cases) {
      const response = await post(signPath(), c.body);
      const text = await response.text();
      assert.equal(response.status, 200, `${c.name}: ${text}`);
      const json = JSON.parse(text) as { participant_id: string; signing_root: string; signature: string };
      assert.deepEqual(Object.keys(json).sort(), ["participant_id", "signature", "signing_root"]);
      assert.equal(json.participant_id, String(ID));
      assert.equal(json.signing_root, c.root, c.name);
      assert.ok(verify(fromHex(c.root), componentKey(), Signature.fromHex(json.signature), true, true), `${c.name}: partial verifies`);
      // and not against the composite key: it is only a share of the signature.
      assert.ok(!verify(fromHex(c.root), pool.compositeKey, Signature.fromHex(json.signature), true, true));
    }
  });

  test("a slashable attestation is refused (412) by the participant's own protection and nothing is released", async () => {
    const first = attestationCase(300, 310, 1);
    const ok = await post(signPath(), first.body);
    assert.equal(ok.status, 200);
    const before = await history();
    for (const slashable of [attestationCase(300, 310, 2), attestationCase(299, 311, 3), attestationCase(301, 309, 4)]) {
      const response = await post(signPath(), slashable.body);
      const text = await response.text();
      assert.equal(response.status, 412, text);
      const json = JSON.parse(text) as Record<string, unknown>;
      assert.equal(json.error, "slashing");
      assert.equal(json.signature, undefined);
      assert.doesNotMatch(text, /0x[0-9a-f]{192}/);
    }
    assert.deepEqual(await history(), before, "refusals record nothing");
    // The history is keyed by the composite public key.
    const data = (await history()).data as Array<{ pubkey: string }>;
    assert.deepEqual(data.map((d) => d.pubkey), [pool.composite]);
    // A repeat of the same message is harmless and signs again.
    assert.equal((await post(signPath(), first.body)).status, 200);
    // A double block proposal too.
    const slot = startSlot(ForkName.electra) + 100;
    assert.equal((await post(signPath(), headerBlockCase("ELECTRA", slot, 1).body)).status, 200);
    assert.equal((await post(signPath(), headerBlockCase("ELECTRA", slot, 2).body)).status, 412);
  });

  test("400 malformed or wrong root, 404 unknown composite key, 412 another network", async () => {
    const c = attestationCase(500, 501);
    assert.equal((await post(signPath(), { type: "ATTESTATION" })).status, 400);
    assert.equal((await post(signPath(), "not json at all")).status, 400);
    assert.equal((await post(signPath(), { ...c.body, signingRoot: "0x" + "11".repeat(32) })).status, 400);
    assert.equal((await post(`/api/v1/eth2/distributed/sign/0x${"ab".repeat(48)}`, c.body)).status, 404);
    const other = clone(c.body) as { fork_info: { genesis_validators_root: string } };
    other.fork_info.genesis_validators_root = "0x" + "22".repeat(32);
    const response = await post(signPath(), other);
    assert.equal(response.status, 412);
    assert.equal(((await response.json()) as { error: string }).error, "wrong-network");
    assert.equal((await post(signPath(), c.body)).status, 200, "none of those recorded anything");
  });

  test("prepareShares refuses a share that does not match its component key, or another network's pool", () => {
    const share = (id: number) => Uint8Array.from(pool.split.shares[id - 1]!.secretKey);
    assert.throws(() => prepareShares(MAINNET, [{ pool: pool.pool, participantId: 1, shareSecret: share(2) }]), ParticipantError);
    assert.throws(() => prepareShares(MAINNET, [{ pool: pool.pool, participantId: 9, shareSecret: share(1) }]), /no participant 9/);
    const hoodi = resolveNetwork("hoodi");
    const secret = share(1);
    assert.throws(() => prepareShares(hoodi, [{ pool: pool.pool, participantId: 1, shareSecret: secret }]), /not hoodi/);
    assert.ok(secret.every((b) => b === 0), "a refused share is wiped");
    const { keys, accounts } = prepareShares(MAINNET, [{ pool: pool.pool, participantId: 1, shareSecret: share(1) }]);
    assert.equal(keys[0]!.pubkey, pool.composite, "the share is loaded under the composite key");
    assert.equal(accounts[0]!.participantId, 1);
  });
});

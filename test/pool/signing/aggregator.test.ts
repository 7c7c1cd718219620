// The pool aggregator over real HTTP with four in-process participants (3-of-4), each with its own
// SQLite protection store: signatures through the ordinary signing API verify against the
// composite key; stopped, hung and lying participants; slashing refusals by the participants and by
// the aggregator's own store; the cache of recovered signatures; metrics.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { ForkName } from "@lodestar/params";
import { PoolAggregator, PoolAggregatorError } from "../../../src/pool/signing/aggregator.js";
import { SqliteProtectionStore } from "../../../src/protection/sqlite-store.js";
import { clone } from "../../eth/helpers.js";
import { tempDir } from "../../helpers/temp.js";
import {
  aggregationSlotCase,
  attestationCase,
  headerBlockCase,
  randaoCase,
  startSlot,
  syncCommitteeMessageCase,
  syncSelectionProofCase,
} from "../../server/cases.js";
import { testPolicy } from "../../helpers/policy.js";
import {
  MAINNET,
  makePool,
  type Misbehaviour,
  metricValue,
  type RunningParticipant,
  type Cluster,
  signRequestsTo,
  startCluster,
  startMisbehaving,
  verifiesComposite,
  wholeKeySignature,
} from "./participant-harness.js";

const ELECTRA = startSlot(ForkName.electra);

async function participantHistory(p: RunningParticipant): Promise<Array<{ signed_attestations: unknown[] }>> {
  return (JSON.parse(await p.core.exportProtection()) as { data: Array<{ signed_attestations: unknown[] }> }).data;
}

describe("pool aggregator, 3-of-4, all participants up", () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
  });
  after(async () => {
    await c?.close();
  });

  test("attestations, a block, sync-committee and other duties verify against the composite key", async () => {
    const cases = [
      attestationCase(10, 11, 1),
      attestationCase(11, 12, 1),
      attestationCase(12, 13, 1),
      headerBlockCase("DENEB", startSlot(ForkName.deneb) + 17),
      syncCommitteeMessageCase(ELECTRA + 3),
      syncSelectionProofCase(ELECTRA + 4),
      aggregationSlotCase(ELECTRA + 5),
      randaoCase(MAINNET.config.forks.fulu.epoch + 1),
    ];
    for (const k of cases) {
      const { status, json, text } = await c.aggregator.sign(k.body);
      assert.equal(status, 200, `${k.name}: ${text}`);
      const signature = json.signature as string;
      assert.ok(verifiesComposite(c.pool, k.root, signature), `${k.name} verifies against the composite key`);
      assert.equal(signature, wholeKeySignature(c.pool, k.root), `${k.name}: the whole key's own signature`);
    }
    // Every participant was asked every time (4 per request, identical body).
    assert.equal(signRequestsTo(c), 4 * cases.length);
    // The aggregator recorded the composite key's attestations and block, nothing else.
    const exported = JSON.parse(await exportOf(c.aggregator.store)) as {
      data: Array<{ pubkey: string; signed_attestations: unknown[]; signed_blocks: unknown[] }>;
    };
    assert.equal(exported.data.length, 1);
    assert.equal(exported.data[0]!.pubkey, c.pool.composite);
    assert.equal(exported.data[0]!.signed_attestations.length, 3);
    assert.equal(exported.data[0]!.signed_blocks.length, 1);
  });

  test("plain-text answer when the client asks for text, JSON public keys listing the composite key", async () => {
    const keys = (await (await fetch(`${c.aggregator.url}/api/v1/eth2/publicKeys`)).json()) as string[];
    assert.deepEqual(keys, [c.pool.composite]);
    const k = attestationCase(20, 21);
    const response = await fetch(`${c.aggregator.url}/api/v1/eth2/sign/${c.pool.composite}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/plain" },
      body: JSON.stringify(k.body),
    });
    assert.equal(response.status, 200);
    assert.ok(verifiesComposite(c.pool, k.root, await response.text()));
  });

  test("an identical retry gets the identical signature without a new fan-out; concurrent ones share one", async () => {
    const k = attestationCase(30, 31, 7);
    const first = await c.aggregator.sign(k.body);
    assert.equal(first.status, 200, first.text);
    const asked = signRequestsTo(c);
    const fanouts = c.aggregator.aggregator.stats.fanouts;
    // Another operator's validator client sends the same request (different JSON key order even).
    const reordered = { attestation: k.body.attestation, fork_info: k.body.fork_info, type: "ATTESTATION" };
    const second = await c.aggregator.sign(reordered);
    assert.equal(second.status, 200, second.text);
    assert.equal(second.json.signature, first.json.signature);
    assert.equal(signRequestsTo(c), asked, "no participant was asked again");
    assert.equal(c.aggregator.aggregator.stats.fanouts, fanouts);
    assert.ok(c.aggregator.aggregator.stats.cacheHits >= 1);
    // The cache is keyed by the signing root: a conflicting vote is a new message, checked and refused.
    const conflicting = await c.aggregator.sign(attestationCase(30, 31, 8).body);
    assert.equal(conflicting.status, 412, conflicting.text);

    // Four validator clients at once with one new message: one fan-out, one signature.
    const fresh = attestationCase(31, 32, 9);
    const before = c.aggregator.aggregator.stats.fanouts;
    const answers = await Promise.all([1, 2, 3, 4].map(() => c.aggregator.sign(fresh.body)));
    for (const a of answers) assert.equal(a.status, 200, a.text);
    assert.equal(new Set(answers.map((a) => a.json.signature)).size, 1);
    assert.equal(c.aggregator.aggregator.stats.fanouts, before + 1, "one fan-out for four identical requests");
    const metrics = await c.aggregator.metricsText();
    assert.match(metrics, /^bulwark_pool_cache_hits_total [1-9]/m);
  });

  test("a slashable attestation is refused with 412 and no signature (the participants refuse it too)", async () => {
    const ok = await c.aggregator.sign(attestationCase(40, 45, 1).body);
    assert.equal(ok.status, 200, ok.text);
    for (const k of [attestationCase(40, 45, 2), attestationCase(39, 46, 1), attestationCase(41, 44, 1)]) {
      const { status, json, text } = await c.aggregator.sign(k.body);
      assert.equal(status, 412, `${k.name}: ${text}`);
      assert.equal(json.signature, undefined);
      assert.doesNotMatch(text, /0x[0-9a-f]{192}/);
    }
    // A double proposal too.
    const slot = ELECTRA + 200;
    assert.equal((await c.aggregator.sign(headerBlockCase("ELECTRA", slot, 1).body)).status, 200);
    assert.equal((await c.aggregator.sign(headerBlockCase("ELECTRA", slot, 2).body)).status, 412);
  });

  test("conflicting attestations sent at once: at most one signature", async () => {
    for (let round = 0; round < 3; round++) {
      const target = 60 + round * 2;
      const conflicting = [1, 2, 3, 4].map((seed) => attestationCase(target - 1, target, 100 + seed));
      const answers = await Promise.all(conflicting.map((k) => c.aggregator.sign(k.body)));
      const signed = answers.filter((a) => a.status === 200);
      assert.ok(signed.length <= 1, `round ${round}: ${signed.length} signatures for one target`);
      for (const a of answers) if (a.status !== 200) assert.ok([412, 503].includes(a.status), a.text);
    }
  });

  test("bad requests, unknown keys and other networks are answered without asking any participant", async () => {
    const asked = signRequestsTo(c);
    const k = attestationCase(50, 51);
    assert.equal((await c.aggregator.sign({ type: "ATTESTATION" })).status, 400);
    assert.equal((await c.aggregator.sign({ ...k.body, signingRoot: "0x" + "11".repeat(32) })).status, 400);
    assert.equal((await c.aggregator.sign(k.body, "0x" + "ab".repeat(48))).status, 404);
    const other = clone(k.body) as { fork_info: { genesis_validators_root: string } };
    other.fork_info.genesis_validators_root = "0x" + "22".repeat(32);
    assert.equal((await c.aggregator.sign(other)).status, 412);
    assert.equal(signRequestsTo(c), asked);
  });

  test("batch endpoint: one result per identifier, the composite key signed, others 404", async () => {
    const k = randaoCase(MAINNET.config.forks.fulu.epoch + 9);
    const response = await fetch(`${c.aggregator.url}/api/v1/eth2/sign`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ identifiers: [c.pool.composite, "0x" + "ab".repeat(48)], signing_request: k.body }),
    });
    assert.equal(response.status, 200);
    const results = (await response.json()) as Array<{ identifier: string; signature?: string; error?: { code: number } }>;
    assert.ok(verifiesComposite(c.pool, k.root, results[0]!.signature!));
    assert.equal(results[1]!.error!.code, 404);
  });

  test("healthcheck is UP with every participant ready; metrics per participant", async () => {
    const health = await fetch(`${c.aggregator.url}/healthcheck`);
    assert.equal(health.status, 200, await health.text());
    const metrics = await c.aggregator.metricsText();
    for (const id of ["1", "2", "3", "4"]) {
      assert.ok(metricValue(metrics, "bulwark_pool_participant_duration_seconds_count", { participant: id, outcome: "valid" }) > 0, `latency of ${id}`);
    }
    assert.match(metrics, /^bulwark_pool_aggregator_overhead_seconds_count [1-9]/m);
  });
});

/** The store's history as { data: [{ pubkey, signed_attestations, signed_blocks }] } JSON text. */
async function exportOf(store: SqliteProtectionStore): Promise<string> {
  const data: unknown[] = [];
  for await (const v of store.exportHistory()) {
    data.push({ pubkey: v.pubkey, signed_attestations: v.attestations, signed_blocks: v.blocks });
  }
  return JSON.stringify({ data });
}

describe("pool aggregator with participants down", () => {
  let c: Cluster;
  afterEach(async () => {
    await c?.close();
  });

  test("one participant stopped: still signs; two stopped: 503 naming them, nothing signed", async () => {
    c = await startCluster();
    await c.participants[3]!.stop();
    const one = attestationCase(60, 61);
    const signed = await c.aggregator.sign(one.body);
    assert.equal(signed.status, 200, signed.text);
    assert.ok(verifiesComposite(c.pool, one.root, signed.json.signature as string));

    await c.participants[1]!.stop();
    const two = attestationCase(61, 62);
    const started = performance.now();
    const refused = await c.aggregator.sign(two.body);
    assert.ok(performance.now() - started < 1500, "failed at once: no need to wait for the deadline when everyone answered");
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.json.signature, undefined);
    assert.doesNotMatch(refused.text, /0x[0-9a-f]{192}/);
    const message = refused.json.message as string;
    assert.match(message, /2 valid partial signatures of the 3 needed/);
    assert.match(message, /participant 2: connection-refused/);
    assert.match(message, /participant 4: connection-refused/);
    assert.doesNotMatch(message, /participant [13]:/);
    // The aggregator's own record is made while the partials come in, so it holds the message it
    // could not sign too (as participants 1 and 3 do, which released partials for it): more
    // history than was signed, never less. The same message again is a harmless repeat.
    const history = JSON.parse(await exportOf(c.aggregator.store)) as { data: Array<{ signed_attestations: Array<unknown> }> };
    assert.equal(history.data[0]!.signed_attestations.length, 2, "both attestations recorded, one signed");
    const [repeat] = await c.aggregator.store.checkAndRecord([
      { kind: "attestation", pubkey: c.pool.composite, sourceEpoch: 61, targetEpoch: 62, signingRoot: two.root },
    ]);
    assert.deepEqual(repeat, { allowed: true, record: false });
    const metrics = await c.aggregator.metricsText();
    assert.ok(metricValue(metrics, "bulwark_pool_participant_failures_total", { participant: "4", reason: "connection_refused" }) >= 2);
    assert.equal((await fetch(`${c.aggregator.url}/healthcheck`)).status, 503);
  });

  test("a participant that never answers is a timeout at the deadline", async () => {
    c = await startCluster({ deadlineMs: 400, honest: [1, 2] });
    const hang = await startMisbehaving(c.pool, 3, "hang");
    try {
      const started = performance.now();
      const refused = await c.aggregator.sign(attestationCase(70, 71).body);
      const elapsed = performance.now() - started;
      assert.equal(refused.status, 503, refused.text);
      assert.ok(elapsed >= 350 && elapsed < 1500, `answered at the deadline (${elapsed.toFixed(0)} ms)`);
      assert.match(refused.json.message as string, /participant 3: timeout \(no answer within 400 ms\)/);
      assert.match(refused.json.message as string, /participant 4: connection-refused/);
    } finally {
      await hang.close();
    }
  });
});

describe("pool aggregator with a lying participant", () => {
  const cases: Array<[Misbehaviour, string]> = [
    ["garbage", "invalid_partial"],
    ["other-share", "invalid_partial"],
    ["random-key", "invalid_partial"],
    ["wrong-root", "wrong_root"],
    ["wrong-id", "wrong_participant"],
  ];
  for (const [how, reason] of cases) {
    test(`participant 4 answers with ${how}: ignored, the 3 honest ones sign, metric ${reason}`, async () => {
      const c = await startCluster({ honest: [1, 2, 3] });
      let liar: Awaited<ReturnType<typeof startMisbehaving>> | undefined;
      try {
        liar = await startMisbehaving(c.pool, 4, how);
        for (let i = 0; i < 3; i++) {
          const k = attestationCase(80 + i, 81 + i);
          const { status, json, text } = await c.aggregator.sign(k.body);
          assert.equal(status, 200, text);
          assert.ok(verifiesComposite(c.pool, k.root, json.signature as string));
        }
        assert.equal(liar.requests, 3);
        // Late answers are checked after the response: give them a moment.
        let failures = 0;
        for (let i = 0; i < 50 && failures < 3; i++) {
          failures = metricValue(await c.aggregator.metricsText(), "bulwark_pool_participant_failures_total", { participant: "4", reason });
          if (failures < 3) await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(failures, 3);
      } finally {
        await liar?.close();
        await c.close();
      }
    });
  }

  test("two liars and two honest participants: 503 naming the liars and why", async () => {
    const c = await startCluster({ honest: [1, 2] });
    const liars: Array<Awaited<ReturnType<typeof startMisbehaving>>> = [];
    try {
      // One push each: in push(await a, await b), a failing b leaves a running and never pushed.
      liars.push(await startMisbehaving(c.pool, 3, "other-share"));
      liars.push(await startMisbehaving(c.pool, 4, "wrong-root"));
      const { status, json, text } = await c.aggregator.sign(attestationCase(90, 91).body);
      assert.equal(status, 503, text);
      assert.equal(json.signature, undefined);
      assert.match(json.message as string, /participant 3: invalid-partial/);
      assert.match(json.message as string, /participant 4: wrong-root/);
    } finally {
      for (const liar of liars) await liar.close();
      await c.close();
    }
  });
});

describe("the aggregator's own slashing protection", () => {
  test("refuses (412) a slashable attestation that the participants would sign: nothing released", async () => {
    const c = await startCluster();
    try {
      // The aggregator's history knows a vote the (fresh) participants do not.
      const earlier = attestationCase(100, 110, 1);
      const [decision] = await c.aggregator.store.checkAndRecord([
        { kind: "attestation", pubkey: c.pool.composite, sourceEpoch: 100, targetEpoch: 110, signingRoot: earlier.root },
      ]);
      assert.ok(decision!.allowed);
      const slashable = attestationCase(100, 110, 2);
      const { status, json, text } = await c.aggregator.sign(slashable.body);
      assert.equal(status, 412, text);
      assert.equal(json.error, "slashing");
      assert.match(json.message as string, /double|already|different/i);
      assert.equal(json.signature, undefined);
      assert.doesNotMatch(text, /0x[0-9a-f]{192}/);
      // The participants released partials (their own history allowed it, and recorded it); the
      // aggregator did not combine them.
      let recorded = 0;
      for (const p of c.participants) recorded += (await participantHistory(p)).length;
      assert.ok(recorded >= 3, `${recorded} participants recorded the vote they released a partial for`);
      // Not cached: asking again is refused again, by the aggregator's own store.
      const again = await c.aggregator.sign(slashable.body);
      assert.equal(again.status, 412);
      assert.doesNotMatch(again.json.message as string, /participants/);
    } finally {
      await c.close();
    }
  });
});

describe("aggregator start-up checks", () => {
  test("refuses a pool whose component keys do not match the commitments, a missing token, another network", async () => {
    const pool = await makePool(3, 4);
    const dir = tempDir("bulwark-aggregator-checks-");
    const store = SqliteProtectionStore.open({ dataDir: dir.path, genesisValidatorsRoot: MAINNET.genesisValidatorsRoot });
    try {
      const swapped = clone(pool.pool);
      [swapped.participants[0]!.componentPublicKey, swapped.participants[1]!.componentPublicKey] = [
        swapped.participants[1]!.componentPublicKey,
        swapped.participants[0]!.componentPublicKey,
      ];
      await assert.rejects(PoolAggregator.create({ network: MAINNET, store, pool: swapped, tokens: pool.tokens, policy: testPolicy(MAINNET) }), /does not match the commitments/);
      const tokens = new Map(pool.tokens);
      tokens.delete(3);
      await assert.rejects(PoolAggregator.create({ network: MAINNET, store, pool: pool.pool, tokens, policy: testPolicy(MAINNET) }), /no coordinator token for participant 3/);
      const otherNetwork = { ...pool.pool, genesisValidatorsRoot: "0x" + "33".repeat(32) };
      await assert.rejects(PoolAggregator.create({ network: MAINNET, store, pool: otherNetwork, tokens: pool.tokens, policy: testPolicy(MAINNET) }), PoolAggregatorError);
    } finally {
      await store.close();
      dir.cleanup();
    }
  });
});

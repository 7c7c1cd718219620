/**
 * The threshold path of the aggregator without HTTP: recovery from the first M partials verified
 * once; a forged partial still named (quorum.ts), and the fan-out (fanout.ts, with a transport that
 * answers as participants would) dropping a forger that answered first, waiting for an honest
 * partial, and never settling on an unverified signature.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, test } from "node:test";
import { PublicKey, SecretKey, Signature, verify } from "@chainsafe/blst";
import { initThreshold, splitSecret, type ThresholdSplit } from "../../../src/bls/threshold.js";
import { fanOut, type FanoutTarget, type ParticipantFailure } from "../../../src/pool/signing/fanout.js";
import type { ParticipantTransport } from "../../../src/pool/signing/participant-http.js";
import { type CandidatePartial, combine } from "../../../src/pool/signing/quorum.js";

const ROOT = new Uint8Array(randomBytes(32));
const hex = (bytes: Uint8Array) => "0x" + Buffer.from(bytes).toString("hex");

let whole: SecretKey;
let split: ThresholdSplit;
let compositeKey: PublicKey;
const shareKey = (id: number) => SecretKey.fromBytes(split.shares[id - 1]!.secretKey);
const componentKey = (id: number) => shareKey(id).toPublicKey();
const honest = (id: number): CandidatePartial => ({ id, signature: shareKey(id).sign(ROOT), componentKey: componentKey(id) });
/** A well-formed G2 point that is not participant `id`'s signature of ROOT. */
const forged = (id: number): CandidatePartial => ({ id, signature: SecretKey.fromKeygen(randomBytes(32)).sign(ROOT), componentKey: componentKey(id) });
const target = () => ({ signingRoot: ROOT, compositeKey, threshold: 3, participants: 4 });

before(async () => {
  await initThreshold();
  whole = SecretKey.fromKeygen(randomBytes(32));
  split = splitSecret(whole.toBytes(), 3, 4);
  compositeKey = PublicKey.fromBytes(split.compositePublicKey);
});

describe("combining partials (quorum.ts)", () => {
  test("any 3 honest partials give the whole key's signature, verified against the composite key", () => {
    for (const ids of [[1, 2, 3], [2, 3, 4], [4, 1, 3]]) {
      const combination = combine(ids.map(honest), target());
      assert.ok(combination.ok, JSON.stringify(combination));
      assert.deepEqual(combination.used, ids);
      assert.equal(hex(combination.signature), hex(whole.sign(ROOT).toBytes(true)));
      assert.ok(verify(ROOT, compositeKey, Signature.fromBytes(combination.signature, true)));
    }
  });

  test("a forged partial is named, and only it", () => {
    const combination = combine([honest(1), forged(2), honest(3)], target());
    assert.deepEqual(combination, { ok: false, faulty: [2] });
    const two = combine([forged(4), honest(1), forged(3)], target());
    assert.deepEqual(two, { ok: false, faulty: [4, 3] });
  });

  test("a partial signed over another root is as faulty as a forged one", () => {
    const other = new Uint8Array(randomBytes(32));
    const combination = combine([honest(1), honest(2), { id: 3, signature: shareKey(3).sign(other), componentKey: componentKey(3) }], target());
    assert.deepEqual(combination, { ok: false, faulty: [3] });
  });

  test("partials that each verify but do not belong to the composite key give no signature, and say why", () => {
    const otherWhole = SecretKey.fromKeygen(randomBytes(32));
    const otherSplit = splitSecret(otherWhole.toBytes(), 3, 4);
    const foreign = [1, 2, 3].map((id): CandidatePartial => {
      const key = SecretKey.fromBytes(otherSplit.shares[id - 1]!.secretKey);
      return { id, signature: key.sign(ROOT), componentKey: key.toPublicKey() };
    });
    const combination = combine(foreign, target());
    assert.equal(combination.ok, false);
    assert.ok(!combination.ok && combination.faulty.length === 0 && "error" in combination);
    assert.match((combination as { error: string }).error, /does not verify against the composite key/);
  });
});

describe("the fan-out (fanout.ts)", () => {
  /** Participants answering after `delayMs[id]`, participant `liar` with a forged partial. */
  function participants(delayMs: Record<number, number>, liar?: number): { targets: FanoutTarget[]; transport: ParticipantTransport } {
    const targets = [1, 2, 3, 4].map((id) => ({ id, endpoint: `http://participant-${id}`, token: `t${id}`, componentKey: componentKey(id) }));
    const transport: ParticipantTransport = async (url) => {
      const id = Number(/participant-(\d+)/.exec(url)![1]);
      const delay = delayMs[id];
      if (delay === undefined) throw Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
      await new Promise((resolve) => setTimeout(resolve, delay));
      const signature = id === liar ? forged(id).signature : shareKey(id).sign(ROOT);
      return { status: 200, text: JSON.stringify({ participant_id: String(id), signing_root: hex(ROOT), signature: signature.toHex(true) }) };
    };
    return { targets, transport };
  }
  // The composite key only names the path here; the fake participants do not read it.
  const request = { composite: "0x" + "00".repeat(48), body: "{}", signingRoot: ROOT, threshold: 3, participants: 4, deadlineMs: 5000 };

  test("a forger answering first is named, an honest late partial completes the quorum", async () => {
    const failed: ParticipantFailure[] = [];
    const { targets, transport } = participants({ 1: 0, 2: 5, 3: 10, 4: 150 }, 1);
    const result = await fanOut(targets, { ...request, compositeKey }, { transport, observer: { participantDone: () => undefined, participantFailed: (f) => failed.push(f) } });
    assert.ok(result.signature !== undefined);
    assert.equal(hex(result.signature), hex(whole.sign(ROOT).toBytes(true)));
    assert.deepEqual(result.partials, [2, 3, 4]);
    assert.deepEqual(result.failures.map((f) => [f.id, f.reason]), [[1, "invalid-partial"]]);
    assert.match(result.failures[0]!.message, /does not verify against the participant's component public key/);
    assert.deepEqual(failed.map((f) => f.id), [1]);
  });

  test("a forger among exactly M answers: no signature, the forger named, the absent one too", async () => {
    const { targets, transport } = participants({ 1: 0, 2: 5, 3: 10 }, 2);
    const result = await fanOut(targets, { ...request, compositeKey }, { transport });
    assert.equal(result.signature, undefined);
    assert.deepEqual(result.partials, [1, 3]);
    assert.deepEqual(result.failures.map((f) => [f.id, f.reason]), [[2, "invalid-partial"], [4, "connection-refused"]]);
  });

  test("honest participants: the first M make the signature, the late one is still verified (for the metrics)", async () => {
    const done: Array<[number, boolean]> = [];
    const { targets, transport } = participants({ 1: 0, 2: 5, 3: 10, 4: 100 }, 4);
    const late = new Promise<void>((resolve) => {
      void fanOut(targets, { ...request, compositeKey }, {
        transport,
        observer: {
          participantDone: (id, _s, ok) => {
            done.push([id, ok]);
            if (id === 4) resolve();
          },
          participantFailed: () => undefined,
        },
      }).then((result) => {
        assert.deepEqual(result.partials, [1, 2, 3]);
        // Still outstanding when the signature was made.
        assert.deepEqual(result.failures.map((f) => [f.id, f.reason]), [[4, "timeout"]]);
      });
    });
    await late;
    // Participant 4 forged its partial after the result was made: checked on its own, reported invalid.
    assert.deepEqual(done, [[1, true], [2, true], [3, true], [4, false]]);
  });
});

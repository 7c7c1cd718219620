import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkAttestation, checkBlock, describeRefusal } from "../../src/protection/rules.js";
import type { AttestationRecord, BlockRecord, Decision } from "../../src/protection/types.js";
import { ReferenceModel } from "./reference-model.js";

const PK = "0x" + "aa".repeat(48);
const A = "0x" + "0a".repeat(32);
const B = "0x" + "0b".repeat(32);

function block(slot: number, signingRoot = A) {
  return { kind: "block" as const, pubkey: PK, slot, signingRoot };
}
function att(sourceEpoch: number, targetEpoch: number, signingRoot = A) {
  return { kind: "attestation" as const, pubkey: PK, sourceEpoch, targetEpoch, signingRoot };
}
function blockHistory(records: BlockRecord[], slot: number) {
  return {
    lowestSlot: records.length ? Math.min(...records.map((r) => r.slot)) : null,
    sameSlot: records.filter((r) => r.slot === slot),
  };
}
function attHistory(records: AttestationRecord[]) {
  return {
    lowestSourceEpoch: records.length ? Math.min(...records.map((r) => r.sourceEpoch)) : null,
    lowestTargetEpoch: records.length ? Math.min(...records.map((r) => r.targetEpoch)) : null,
    candidates: records,
  };
}
function reasonOf(decision: Decision): string {
  return decision.allowed ? (decision.record ? "record" : "repeat") : decision.refusal.reason;
}

describe("block rules", () => {
  test("first block for a key is allowed and recorded", () => {
    assert.equal(reasonOf(checkBlock(block(5), blockHistory([], 5))), "record");
  });
  test("same slot, same known root is a harmless repeat", () => {
    assert.equal(reasonOf(checkBlock(block(5, A), blockHistory([{ slot: 5, signingRoot: A }], 5))), "repeat");
  });
  test("same slot, different root is a double block", () => {
    const decision = checkBlock(block(5, B), blockHistory([{ slot: 5, signingRoot: A }], 5));
    assert.equal(reasonOf(decision), "double-block");
    assert.ok(!decision.allowed && decision.refusal.reason === "double-block");
    assert.deepEqual(decision.refusal.existing, { slot: 5, signingRoot: A });
  });
  test("same slot with an unknown recorded root is a double block, whatever is asked", () => {
    assert.equal(reasonOf(checkBlock(block(5, A), blockHistory([{ slot: 5, signingRoot: null }], 5))), "double-block");
  });
  test("a repeat needs every record at the slot to match", () => {
    const records = [
      { slot: 5, signingRoot: A },
      { slot: 5, signingRoot: B },
    ];
    assert.equal(reasonOf(checkBlock(block(5, A), blockHistory(records, 5))), "double-block");
  });
  test("below the lowest slot is refused, between known slots is allowed", () => {
    const records = [
      { slot: 10, signingRoot: A },
      { slot: 20, signingRoot: A },
    ];
    assert.equal(reasonOf(checkBlock(block(9), blockHistory(records, 9))), "block-below-lowest-slot");
    assert.equal(reasonOf(checkBlock(block(15), blockHistory(records, 15))), "record");
    assert.equal(reasonOf(checkBlock(block(21), blockHistory(records, 21))), "record");
  });
});

describe("attestation rules", () => {
  const history = [
    { sourceEpoch: 10, targetEpoch: 20, signingRoot: A },
    { sourceEpoch: 20, targetEpoch: 21, signingRoot: A },
  ];
  const cases: Array<[string, ReturnType<typeof att>, string]> = [
    ["identical repeat", att(10, 20, A), "repeat"],
    ["double vote (other root)", att(10, 20, B), "double-vote"],
    ["double vote (other source)", att(11, 20, A), "double-vote"],
    ["surrounds an existing vote", att(9, 22), "source-below-lowest-source"],
    ["surrounds, above the watermark", att(19, 22), "surrounds-existing"],
    ["surrounded by an existing vote", att(11, 19), "target-at-or-below-lowest-target"],
    ["source after target", att(25, 24), "source-after-target"],
    ["next epoch", att(21, 22), "record"],
  ];
  for (const [name, request, expected] of cases) {
    test(name, () => assert.equal(reasonOf(checkAttestation(request, attHistory(history))), expected));
  }
  test("surrounded vote above the watermarks", () => {
    const records = [
      { sourceEpoch: 1, targetEpoch: 2, signingRoot: A },
      { sourceEpoch: 3, targetEpoch: 10, signingRoot: A },
    ];
    assert.equal(reasonOf(checkAttestation(att(4, 9), attHistory(records))), "surrounded-by-existing");
  });
  test("unknown recorded root at the target refuses even the same epochs", () => {
    const records = [{ sourceEpoch: 1, targetEpoch: 2, signingRoot: null }];
    assert.equal(reasonOf(checkAttestation(att(1, 2, A), attHistory(records))), "double-vote");
  });
  test("source equal to target is allowed (genesis vote)", () => {
    assert.equal(reasonOf(checkAttestation(att(0, 0), attHistory([]))), "record");
  });
});

describe("refusal messages", () => {
  test("say what was refused and against what", () => {
    const decision = checkAttestation(att(19, 22), attHistory([
      { sourceEpoch: 10, targetEpoch: 20, signingRoot: A },
      { sourceEpoch: 20, targetEpoch: 21, signingRoot: A },
    ]));
    assert.ok(!decision.allowed);
    const message = describeRefusal(decision.refusal);
    assert.match(message, /^refused: surround vote/);
    assert.match(message, /source 20 target 21/);
    const double = checkBlock(block(5, B), blockHistory([{ slot: 5, signingRoot: null }], 5));
    assert.ok(!double.allowed);
    assert.match(describeRefusal(double.refusal), /double block at slot 5.*unknown signing root/);
  });
});

// Every history of up to two records over a small domain, every request: the rules must agree with
// the reference model, which states the slashing conditions over the full history.
describe("exhaustive agreement with the reference model", () => {
  const roots = [null, A, B];
  test("blocks", () => {
    const options: BlockRecord[] = [];
    for (let slot = 0; slot < 5; slot++) for (const signingRoot of roots) options.push({ slot, signingRoot });
    const histories: BlockRecord[][] = [[], ...options.map((o) => [o])];
    for (const first of options) for (const second of options) histories.push([first, second]);
    let checked = 0;
    for (const records of histories) {
      for (let slot = 0; slot < 6; slot++) {
        for (const root of [A, B]) {
          const model = new ReferenceModel();
          model.importBlocks(PK, records.map((r) => ({ slot: r.slot, root: r.signingRoot })));
          const expected = model.signBlock(PK, slot, root);
          const actual = checkBlock(block(slot, root), blockHistory(records, slot)).allowed;
          assert.equal(actual, expected, `history ${JSON.stringify(records)} request slot ${slot} root ${root}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 2000);
  });
  test("attestations", () => {
    const options: AttestationRecord[] = [];
    for (let s = 0; s < 5; s++)
      for (let t = 0; t < 5; t++) for (const signingRoot of roots) options.push({ sourceEpoch: s, targetEpoch: t, signingRoot });
    const histories: AttestationRecord[][] = [[], ...options.map((o) => [o])];
    for (const first of options) for (const second of options) histories.push([first, second]);
    let checked = 0;
    let allowed = 0;
    for (const records of histories) {
      for (let s = 0; s < 6; s++) {
        for (let t = 0; t < 6; t++) {
          for (const root of [A, B]) {
            const model = new ReferenceModel();
            model.importAttestations(PK, records.map((r) => ({ source: r.sourceEpoch, target: r.targetEpoch, root: r.signingRoot })));
            const expected = model.signAttestation(PK, s, t, root);
            const actual = checkAttestation(att(s, t, root), attHistory(records)).allowed;
            if (actual !== expected) {
              assert.fail(`history ${JSON.stringify(records)} request ${s}->${t} root ${root}: rules ${actual}, model ${expected}`);
            }
            checked++;
            if (actual) allowed++;
          }
        }
      }
    }
    // Both outcomes are well represented, so agreement is not vacuous.
    assert.ok(checked > 400_000 && allowed > 10_000 && checked - allowed > 10_000, `${checked} checked, ${allowed} allowed`);
  });
});

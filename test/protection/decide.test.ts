/**
 * The shared decision path (decide.ts) without a database: requests decided in order against the
 * stored history plus the group's own earlier records, and exactly the new records to write.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { decideInOrder, emptyHistory, type StoredHistory } from "../../src/protection/decide.js";
import { att, block, PK, root, summarise } from "../helpers/protection-records.js";

const OTHER = "0x" + "cd".repeat(48);

test("later requests of a group see the records allowed before them; each new record is written once", () => {
  const requests = [att(1, 2, 1), att(1, 2, 1), att(1, 2, 2), att(0, 5, 1), block(3, 1), block(3, 1), block(2, 1), att(1, 2, 3, OTHER)];
  const outcome = decideInOrder(requests, requests.map(emptyHistory));
  assert.deepEqual(summarise(outcome.decisions), [
    "record",
    "repeat",
    "double-vote",
    "source-below-lowest-source",
    "record",
    "repeat",
    "block-below-lowest-slot",
    "record",
  ]);
  assert.deepEqual(outcome.newAttestations, [
    { pubkey: PK, sourceEpoch: 1, targetEpoch: 2, signingRoot: root(1) },
    { pubkey: OTHER, sourceEpoch: 1, targetEpoch: 2, signingRoot: root(3) },
  ]);
  assert.deepEqual(outcome.newBlocks, [{ pubkey: PK, slot: 3, signingRoot: root(1) }]);
});

test("stored history and the group's records count together, keys apart", () => {
  const stored: StoredHistory = { lowest: 10, lowestTarget: 20, blocks: [], attestations: [{ sourceEpoch: 10, targetEpoch: 20, signingRoot: null }] };
  const requests = [att(11, 21), att(9, 22), att(12, 19, 1), att(12, 25, 1, OTHER.toUpperCase().replace("0X", "0x"))];
  const outcome = decideInOrder(requests, [stored, stored, stored, emptyHistory()]);
  assert.deepEqual(summarise(outcome.decisions), ["record", "source-below-lowest-source", "target-at-or-below-lowest-target", "record"]);
  assert.deepEqual(outcome.newAttestations.map((a) => a.pubkey), [PK, OTHER], "pubkeys written lowercase");
});

test("refuses a histories array that does not match the requests", () => {
  assert.throws(() => decideInOrder([att(1, 2)], []), /1 requests but 0 histories/);
});

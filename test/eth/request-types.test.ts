// The request-type table (src/eth/request-types.ts) against the README, the signing-root code and
// the labels the HTTP layer derives from it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { resolveNetwork } from "../../src/config/networks.js";
import {
  BATCH_TYPES,
  computeSigningRoot,
  parseSigningRequest,
  REQUEST_TYPES,
  requestTypeLabel,
  SIGNING_REQUEST_TYPES,
} from "../../src/eth/index.js";
import { allCases } from "../server/cases.js";
import { gloasCases } from "./gloas-cases.js";
import { DEVNET_GVR, devnetSlot, LODESTAR_DEVNET, writeDevnetConfig } from "./gloas-network.js";
import { README_TABLE_HEADER, readmeTable } from "./request-types-readme.js";

const README = new URL("../../../README.md", import.meta.url);

describe("the request-type table", () => {
  test("the README's request-type table is the code's table, row for row", () => {
    const lines = readFileSync(README, "utf8").split("\n");
    const start = lines.indexOf(README_TABLE_HEADER[0]!);
    assert.ok(start >= 0, "README has the request-type table header");
    let end = start;
    while (end < lines.length && lines[end]!.startsWith("|")) end++;
    // On a difference, `node dist/test/eth/request-types-readme.js` prints the rows to paste.
    assert.deepEqual(lines.slice(start, end), readmeTable());
  });

  test("batch eligibility is the remote-signing-api batch list", () => {
    assert.deepEqual([...BATCH_TYPES], [
      "ATTESTATION",
      "AGGREGATION_SLOT",
      "RANDAO_REVEAL",
      "SYNC_COMMITTEE_MESSAGE",
      "SYNC_COMMITTEE_SELECTION_PROOF",
    ]);
  });

  test("only blocks and attestations are recorded", () => {
    const recorded = SIGNING_REQUEST_TYPES.filter((type) => REQUEST_TYPES[type].recorded !== null);
    assert.deepEqual(
      recorded.map((type) => [type, REQUEST_TYPES[type].recorded]),
      [["BLOCK", "block"], ["BLOCK_V2", "block"], ["ATTESTATION", "attestation"]],
    );
  });

  test("every type's signing root carries the protection facts its row names", () => {
    const devnet = writeDevnetConfig();
    try {
      const bodies = [
        ...allCases().map((c) => ({ network: resolveNetwork("mainnet"), body: c.body })),
        ...gloasCases(LODESTAR_DEVNET, devnetSlot("GLOAS", 3)).map((c) => ({ network: resolveNetwork(devnet.path, DEVNET_GVR), body: c.body })),
      ];
      const seen = new Set<string>();
      for (const { network, body } of bodies) {
        const request = parseSigningRequest(body);
        seen.add(request.type);
        const { protection } = computeSigningRoot(network, request);
        assert.equal(protection?.kind ?? null, REQUEST_TYPES[request.type].recorded, request.type);
      }
      assert.deepEqual([...seen].sort(), [...SIGNING_REQUEST_TYPES].sort());
    } finally {
      devnet.cleanup();
    }
  });

  test("metric labels are the table's types, case-insensitively, and UNKNOWN otherwise", () => {
    for (const type of SIGNING_REQUEST_TYPES) assert.equal(requestTypeLabel({ type: type.toLowerCase() }), type);
    assert.equal(requestTypeLabel({ type: "SIGN_ANYTHING" }), "UNKNOWN");
    assert.equal(requestTypeLabel(null), "UNKNOWN");
    assert.equal(requestTypeLabel({ type: 5 }), "UNKNOWN");
  });
});

// Parsing: typed results for valid bodies, BadRequestError naming the field path for bad ones.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ssz } from "@lodestar/types";
import { BadRequestError, parseSigningRequest, REQUEST_TYPES, SIGNING_REQUEST_TYPES } from "../../src/eth/index.js";
import { bytes, clone, defaultJson, hex } from "./helpers.js";

const FORK_INFO = {
  fork: { previous_version: "0x04000000", current_version: "0x05000000", epoch: "269568" },
  genesis_validators_root: "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95",
};

function attestation(): Record<string, unknown> {
  return {
    type: "ATTESTATION",
    fork_info: clone(FORK_INFO),
    attestation: {
      slot: "8626178",
      index: "0",
      beacon_block_root: hex(bytes(32, 1)),
      source: { epoch: "269566", root: hex(bytes(32, 2)) },
      target: { epoch: "269567", root: hex(bytes(32, 3)) },
    },
  };
}

function blockV2(version: string): Record<string, unknown> {
  return {
    type: "BLOCK_V2",
    fork_info: clone(FORK_INFO),
    beacon_block: {
      version,
      block_header: {
        slot: "8626179",
        proposer_index: "1234",
        parent_root: hex(bytes(32, 4)),
        state_root: hex(bytes(32, 5)),
        body_root: hex(bytes(32, 6)),
      },
    },
  };
}

/** Asserts a BadRequestError whose path is `path` and whose message starts with it. */
function rejects(body: unknown, path: string, reason?: RegExp): void {
  assert.throws(
    () => parseSigningRequest(body),
    (e: unknown) => {
      assert.ok(e instanceof BadRequestError, `expected BadRequestError, got ${String(e)}`);
      assert.equal(e.path, path, e.message);
      assert.ok(e.message.startsWith(path === "" ? e.reason : `${path}: `), e.message);
      if (reason !== undefined) assert.match(e.reason, reason);
      return true;
    },
  );
}

function set(body: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const keys = path.split(".");
  let target = body as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (value === undefined) delete target[last];
  else target[last] = value;
  return body;
}

describe("valid bodies", () => {
  test("ATTESTATION decodes into typed values", () => {
    const request = parseSigningRequest(attestation());
    assert.equal(request.type, "ATTESTATION");
    if (request.type !== "ATTESTATION") return;
    assert.equal(request.attestation.slot, 8626178);
    assert.equal(request.attestation.target.epoch, 269567);
    assert.deepEqual(request.attestation.beaconBlockRoot, bytes(32, 1));
    assert.equal(request.forkInfo.fork.epoch, 269568);
    assert.deepEqual(request.forkInfo.fork.currentVersion, Uint8Array.from([5, 0, 0, 0]));
    assert.equal(request.signingRoot, undefined);
  });

  test("versions and type are case-insensitive", () => {
    const request = parseSigningRequest({ ...blockV2("deneb"), type: "block_v2" });
    assert.equal(request.type, "BLOCK_V2");
    if (request.type === "BLOCK_V2") assert.equal(request.beaconBlock.version, "DENEB");
  });

  test("unknown fields outside the signed object are ignored, inside it they are refused", () => {
    const body = attestation();
    body.extra = { anything: true };
    (body.fork_info as Record<string, unknown>).note = "x";
    assert.equal(parseSigningRequest(body).type, "ATTESTATION");
    // Dropping a field of the signed object would sign something other than what was asked.
    (body.attestation as Record<string, unknown>).committee_bits = "0x01";
    rejects(body, "attestation.committee_bits", /unknown field/);
    rejects(set(attestation(), "attestation.source.slot", "1"), "attestation.source.slot", /unknown field/);
  });

  test("a field given in both spellings must have one value", () => {
    const body = attestation();
    const data = body.attestation as Record<string, unknown>;
    data.beaconBlockRoot = data.beacon_block_root;
    assert.equal(parseSigningRequest(clone(body)).type, "ATTESTATION");
    data.beaconBlockRoot = hex(bytes(32, 77));
    rejects(body, "attestation.beacon_block_root", /given twice/);
  });

  test("camelCase spellings used by Web3Signer's own examples are accepted", () => {
    const body = {
      type: "AGGREGATION_SLOT",
      signingRoot: hex(bytes(32, 9)),
      fork_info: {
        fork: { previousVersion: "0x00000001", currentVersion: "0x00000001", epoch: "1" },
        genesisValidatorsRoot: FORK_INFO.genesis_validators_root,
      },
      aggregation_slot: { slot: "119" },
    };
    const request = parseSigningRequest(body);
    assert.deepEqual(request.signingRoot, bytes(32, 9));
    if (request.type === "AGGREGATION_SLOT") assert.equal(request.aggregationSlot.slot, 119);
  });

  test("JSON numbers are accepted for small unsigned integers", () => {
    const body = attestation();
    set(body, "attestation.slot", 8626178);
    set(body, "fork_info.fork.epoch", 269568);
    const request = parseSigningRequest(body);
    if (request.type === "ATTESTATION") assert.equal(request.attestation.slot, 8626178);
  });

  test("every type parses into its own variant", () => {
    const bodies: Record<string, unknown>[] = [
      {
        type: "BLOCK",
        fork_info: FORK_INFO,
        block: defaultJson(ssz.phase0.BeaconBlock),
      },
      blockV2("FULU"),
      {
        type: "BLOCK_V2",
        fork_info: FORK_INFO,
        beacon_block: { version: "ALTAIR", block: defaultJson(ssz.altair.BeaconBlock) },
      },
      attestation(),
      { type: "AGGREGATION_SLOT", fork_info: FORK_INFO, aggregation_slot: { slot: "1" } },
      {
        type: "AGGREGATE_AND_PROOF",
        fork_info: FORK_INFO,
        aggregate_and_proof: defaultJson(ssz.phase0.AggregateAndProof),
      },
      {
        type: "AGGREGATE_AND_PROOF_V2",
        fork_info: FORK_INFO,
        aggregate_and_proof: {
          version: "ELECTRA",
          data: defaultJson(ssz.electra.AggregateAndProof),
        },
      },
      { type: "RANDAO_REVEAL", fork_info: FORK_INFO, randao_reveal: { epoch: "2" } },
      {
        type: "VOLUNTARY_EXIT",
        fork_info: FORK_INFO,
        voluntary_exit: { epoch: "3", validator_index: "4" },
      },
      {
        type: "DEPOSIT",
        deposit: {
          pubkey: hex(bytes(48, 1)),
          withdrawal_credentials: hex(bytes(32, 1)),
          amount: "32000000000",
          genesis_fork_version: "0x00000000",
        },
      },
      {
        type: "SYNC_COMMITTEE_MESSAGE",
        fork_info: FORK_INFO,
        sync_committee_message: { beacon_block_root: hex(bytes(32, 1)), slot: "5" },
      },
      {
        type: "SYNC_COMMITTEE_SELECTION_PROOF",
        fork_info: FORK_INFO,
        sync_aggregator_selection_data: { slot: "6", subcommittee_index: "1" },
      },
      {
        type: "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF",
        fork_info: FORK_INFO,
        contribution_and_proof: defaultJson(ssz.altair.ContributionAndProof),
      },
      {
        type: "VALIDATOR_REGISTRATION",
        validator_registration: defaultJson(ssz.bellatrix.ValidatorRegistrationV1),
      },
    ];
    const types = bodies.map((body) => parseSigningRequest(clone(body)).type);
    assert.deepEqual(new Set(types).size, 13);
  });

  test("the AGGREGATE_AND_PROOF_V2 version selects the SSZ type", () => {
    const electra = defaultJson(ssz.electra.AggregateAndProof);
    const body = {
      type: "AGGREGATE_AND_PROOF_V2",
      fork_info: FORK_INFO,
      aggregate_and_proof: { version: "FULU", data: electra },
    };
    const request = parseSigningRequest(body);
    assert.ok(request.type === "AGGREGATE_AND_PROOF_V2");
    assert.ok("committeeBits" in request.aggregateAndProof.data.aggregate);
    // An electra aggregate labelled DENEB lacks nothing the phase0 type needs, but a phase0 one
    // labelled ELECTRA is missing committee_bits.
    const phase0 = defaultJson(ssz.phase0.AggregateAndProof);
    rejects(
      { ...body, aggregate_and_proof: { version: "ELECTRA", data: phase0 } },
      "aggregate_and_proof.data.aggregate.committee_bits",
      /missing/,
    );
  });
});

describe("malformed bodies name the field", () => {
  test("body and type", () => {
    rejects(null, "", /JSON object/);
    rejects([attestation()], "", /JSON object/);
    rejects("ATTESTATION", "", /JSON object/);
    rejects(set(attestation(), "type", undefined), "type", /missing/);
    rejects(set(attestation(), "type", "SIGN_ANYTHING"), "type", /expected one of BLOCK, BLOCK_V2/);
    rejects(set(attestation(), "type", 7), "type");
  });

  test("fork_info", () => {
    rejects(set(attestation(), "fork_info", undefined), "fork_info", /missing/);
    rejects(set(attestation(), "fork_info", "mainnet"), "fork_info", /JSON object/);
    rejects(set(attestation(), "fork_info.fork", undefined), "fork_info.fork", /missing/);
    rejects(
      set(attestation(), "fork_info.fork.current_version", "0x050000"),
      "fork_info.fork.current_version",
      /^expected 0x-prefixed 4-byte hex$/,
    );
    rejects(set(attestation(), "fork_info.fork.previous_version", "04000000"), "fork_info.fork.previous_version");
    rejects(set(attestation(), "fork_info.fork.previous_version", "0x0400000g"), "fork_info.fork.previous_version");
    rejects(set(attestation(), "fork_info.fork.epoch", "-1"), "fork_info.fork.epoch", /decimal uint64/);
    const gvr = "fork_info.genesis_validators_root";
    rejects(set(attestation(), gvr, "0x00"), gvr, /32-byte/);
  });

  test("unsigned integers are strict", () => {
    const path = "attestation.target.epoch";
    for (const bad of ["12abc", "-1", "1.5", "1e3", " 1", "", "0x10", true, 1.5, -1, null, {}]) {
      rejects(set(attestation(), path, bad), path);
    }
    rejects(set(attestation(), path, "18446744073709551616"), path, /too large/);
    rejects(set(attestation(), path, "9007199254740992"), path, /above 9007199254740991 is not supported/);
    rejects(set(attestation(), "attestation.slot", 2 ** 53), "attestation.slot");
  });

  test("unsigned integers: short and long spellings, strings and numbers, read the same value", () => {
    const epochOf = (value: unknown) => {
      const request = parseSigningRequest(set(attestation(), "attestation.target.epoch", value));
      assert.ok(request.type === "ATTESTATION");
      return request.attestation.target.epoch;
    };
    // 15 digits and fewer are read without BigInt, 16 and more with it: both must agree.
    for (const spelling of ["42", "042", "000000000000042", "0000000000000042", "00000000000000000000042", 42]) {
      assert.equal(epochOf(spelling), 42, `epoch ${JSON.stringify(spelling)}`);
    }
    assert.equal(epochOf("999999999999999"), 999_999_999_999_999);
    assert.equal(epochOf("1000000000000000"), 1_000_000_000_000_000);
    assert.equal(epochOf(1_000_000_000_000_000), 1_000_000_000_000_000);
    assert.equal(epochOf("0"), 0);
  });

  test("hex fields are strict (the SSZ library alone would read junk as zeros)", () => {
    const path = "attestation.beacon_block_root";
    rejects(set(attestation(), path, "0x" + "zz".repeat(32)), path, /32-byte hex/);
    rejects(set(attestation(), path, "ab".repeat(32)), path, /0x-prefixed/);
    rejects(set(attestation(), path, "0x" + "ab".repeat(31)), path);
    rejects(set(attestation(), path, "0x" + "ab".repeat(33)), path);
    rejects(set(attestation(), path, 12), path);
  });

  test("missing payloads and payload fields", () => {
    rejects(set(attestation(), "attestation", undefined), "attestation", /missing/);
    rejects(set(attestation(), "attestation.source", undefined), "attestation.source", /missing/);
    rejects(set(attestation(), "attestation.source.root", undefined), "attestation.source.root", /missing/);
    const bodyRoot = "beacon_block.block_header.body_root";
    rejects(set(blockV2("CAPELLA"), bodyRoot, undefined), bodyRoot, /missing/);
    rejects(set(blockV2("CAPELLA"), "beacon_block.block_header", undefined), "beacon_block.block_header");
    rejects(set(blockV2("HEZE"), "type", "BLOCK_V2"), "beacon_block.version", /expected one of PHASE0/);
    rejects(set(blockV2("CAPELLA"), "beacon_block.version", undefined), "beacon_block.version", /missing/);
  });

  test("full blocks are only accepted for PHASE0 and ALTAIR, headers for the rest", () => {
    const block = defaultJson(ssz.phase0.BeaconBlock);
    const body = (beaconBlock: unknown) => ({ type: "BLOCK_V2", fork_info: FORK_INFO, beacon_block: beaconBlock });
    rejects(body({ version: "DENEB", block }), "beacon_block.block_header", /missing/);
    rejects(body({ version: "PHASE0", block_header: {} }), "beacon_block.block", /missing/);
  });

  test("lists, bitlists and bitvectors inside payloads give indexed paths", () => {
    const block = defaultJson(ssz.phase0.BeaconBlock) as Record<string, Record<string, unknown>>;
    const attestationJson = defaultJson(ssz.phase0.Attestation);
    block.body.attestations = [attestationJson, { ...attestationJson, aggregation_bits: "0x00" }];
    rejects({ type: "BLOCK", fork_info: FORK_INFO, block }, "block.body.attestations[1].aggregation_bits");
    block.body.attestations = Array.from({ length: 129 }, () => attestationJson);
    rejects({ type: "BLOCK", fork_info: FORK_INFO, block }, "block.body.attestations", /at most 128/);
    block.body.attestations = "none";
    rejects({ type: "BLOCK", fork_info: FORK_INFO, block }, "block.body.attestations", /array/);

    const contribution = defaultJson(ssz.altair.ContributionAndProof) as Record<string, Record<string, unknown>>;
    contribution.contribution.aggregation_bits = "0x24";
    rejects(
      {
        type: "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF",
        fork_info: FORK_INFO,
        contribution_and_proof: contribution,
      },
      "contribution_and_proof.contribution.aggregation_bits",
      /128-bit bitvector/,
    );
  });

  test("signing roots", () => {
    rejects({ ...attestation(), signingRoot: "0x1234" }, "signingRoot", /32-byte hex/);
    rejects({ ...attestation(), signing_root: 5 }, "signing_root", /32-byte hex/);
    const both = { ...attestation(), signing_root: hex(bytes(32, 1)), signingRoot: hex(bytes(32, 2)) };
    rejects(both, "signingRoot", /differs/);
  });

  test("DEPOSIT needs genesis_fork_version", () => {
    const body = {
      type: "DEPOSIT",
      deposit: { pubkey: hex(bytes(48, 1)), withdrawal_credentials: hex(bytes(32, 1)), amount: "1" },
    };
    rejects(body, "deposit.genesis_fork_version", /missing/);
    rejects(set(clone(body), "deposit.genesis_fork_version", "0x00"), "deposit.genesis_fork_version", /4-byte/);
    rejects(set(clone(body), "deposit.pubkey", hex(bytes(32, 1))), "deposit.pubkey", /48-byte/);
  });

  test("sync committee message and slot payloads", () => {
    rejects(
      { type: "SYNC_COMMITTEE_MESSAGE", fork_info: FORK_INFO, sync_committee_message: { slot: "1" } },
      "sync_committee_message.beacon_block_root",
      /missing/,
    );
    rejects({ type: "RANDAO_REVEAL", fork_info: FORK_INFO, randao_reveal: {} }, "randao_reveal.epoch", /missing/);
    const slotBody = { type: "AGGREGATION_SLOT", fork_info: FORK_INFO, aggregation_slot: 5 };
    rejects(slotBody, "aggregation_slot", /JSON object/);
  });

  test("fork_info is required exactly by the types whose table row says so", () => {
    const withoutForkInfo = SIGNING_REQUEST_TYPES.filter((type) => !REQUEST_TYPES[type].forkInfo);
    assert.deepEqual(withoutForkInfo, ["DEPOSIT", "VALIDATOR_REGISTRATION", "BUILDER_REQUEST_AUTH"]);
    for (const type of SIGNING_REQUEST_TYPES) {
      // Without fork_info, a chain type is refused for it; the others go on to their payload.
      rejects({ type }, REQUEST_TYPES[type].forkInfo ? "fork_info" : REQUEST_TYPES[type].bodyKey, /missing/);
    }
  });
});

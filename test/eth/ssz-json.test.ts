/**
 * decodeSsz builds containers and byte arrays itself (Buffer's native hex instead of the SSZ
 * library's per-character loop): its values must be exactly what the library's own fromJson makes
 * of the same JSON, down to the prototypes and the hash tree roots, for every shape a signing
 * request carries (nested containers, byte vectors and lists, bitlists, bitvectors, lists of
 * containers, uint64 and uint256 fields).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ssz } from "@lodestar/types";
import { decodeSsz } from "../../src/eth/ssz-json.js";
import { bytes } from "./helpers.js";
import { altairBlock, attestationData, electraAggregateAndProof, phase0AggregateAndProof, phase0Block } from "./ssz-objects.js";
import { gloasAggregate } from "./gloas-cases.js";

interface Case {
  name: string;
  type: { fromJson(json: unknown): unknown; toJson(value: never): unknown; hashTreeRoot(value: never): Uint8Array };
  value: unknown;
}

function registration() {
  const value = ssz.bellatrix.ValidatorRegistrationV1.defaultValue();
  value.feeRecipient = bytes(20, 9);
  value.gasLimit = 36_000_000;
  value.timestamp = 1_700_000_000;
  value.pubkey = bytes(48, 10);
  return value;
}

function envelope() {
  const value = ssz.gloas.ExecutionPayloadEnvelope.defaultValue();
  value.payload.extraData = bytes(7, 11);
  value.payload.baseFeePerGas = 12_345_678_901_234_567_890n;
  value.payload.transactions = [bytes(3, 12), bytes(40, 13)];
  value.beaconBlockRoot = bytes(32, 14);
  return value;
}

const CASES: Case[] = [
  { name: "phase0 AttestationData", type: ssz.phase0.AttestationData, value: attestationData(70, 1, 2, 5) },
  { name: "phase0 BeaconBlock", type: ssz.phase0.BeaconBlock, value: phase0Block(64) },
  { name: "altair BeaconBlock", type: ssz.altair.BeaconBlock, value: altairBlock(96) },
  { name: "phase0 AggregateAndProof", type: ssz.phase0.AggregateAndProof, value: phase0AggregateAndProof(33) },
  { name: "electra AggregateAndProof", type: ssz.electra.AggregateAndProof, value: electraAggregateAndProof(33) },
  { name: "gloas AggregateAndProof", type: ssz.gloas.AggregateAndProof, value: gloasAggregate(33) },
  { name: "bellatrix ValidatorRegistrationV1", type: ssz.bellatrix.ValidatorRegistrationV1, value: registration() },
  { name: "gloas ExecutionPayloadEnvelope", type: ssz.gloas.ExecutionPayloadEnvelope, value: envelope() },
];

describe("decodeSsz: the library's own value for every shape", () => {
  for (const { name, type, value } of CASES) {
    it(name, () => {
      const json = type.toJson(value as never);
      const ours = decodeSsz(type, json, "x");
      const library = type.fromJson(json);
      assert.deepStrictEqual(ours, library);
      assert.deepStrictEqual(type.hashTreeRoot(ours as never), type.hashTreeRoot(library as never));
    });
  }

  it("a byte array is a Uint8Array of its own, not a view of a shared Buffer", () => {
    const data = decodeSsz(ssz.phase0.AttestationData, ssz.phase0.AttestationData.toJson(attestationData(1, 0, 1)), "x");
    assert.equal(Object.getPrototypeOf(data.beaconBlockRoot), Uint8Array.prototype);
    assert.equal(data.beaconBlockRoot.byteOffset, 0);
    assert.equal(data.beaconBlockRoot.buffer.byteLength, 32);
  });
});

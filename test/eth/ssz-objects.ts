/**
 * Test-only consensus objects built with lodestar's real SSZ types, shared by the signing-root
 * tests and the HTTP tests. `seed` arguments vary one root (and so the signing root) on demand.
 */
import { ssz } from "@lodestar/types";
import { bytes, hex } from "./helpers.js";

export function attestationData(slot: number, sourceEpoch: number, targetEpoch: number, seed = 1) {
  const data = ssz.phase0.AttestationData.defaultValue();
  data.slot = slot;
  data.index = 3;
  data.beaconBlockRoot = bytes(32, seed);
  data.source = { epoch: sourceEpoch, root: bytes(32, 2) };
  data.target = { epoch: targetEpoch, root: bytes(32, 3) };
  return data;
}

export interface BlockLike {
  slot: number;
  proposerIndex: number;
  parentRoot: Uint8Array;
  stateRoot: Uint8Array;
  body: { randaoReveal: Uint8Array; graffiti: Uint8Array };
}

export function fillBlock<B extends BlockLike>(block: B, slot: number, seed = 5): B {
  block.slot = slot;
  block.proposerIndex = 123456;
  block.parentRoot = bytes(32, 4);
  block.stateRoot = bytes(32, seed);
  block.body.randaoReveal = bytes(96, 6);
  block.body.graffiti = bytes(32, 7);
  return block;
}

export function phase0Block(slot: number) {
  const block = fillBlock(ssz.phase0.BeaconBlock.defaultValue(), slot);
  block.body.attestations = [
    ssz.phase0.Attestation.fromJson({
      aggregation_bits: "0x0b",
      data: ssz.phase0.AttestationData.toJson(attestationData(slot - 1, 10, 11)),
      signature: hex(bytes(96, 8)),
    }),
  ];
  block.body.voluntaryExits = [{ message: { epoch: 9, validatorIndex: 77 }, signature: bytes(96, 9) }];
  return block;
}

export function altairBlock(slot: number) {
  const block = fillBlock(ssz.altair.BeaconBlock.defaultValue(), slot);
  block.body.syncAggregate.syncCommitteeBits.set(3, true);
  block.body.syncAggregate.syncCommitteeSignature = bytes(96, 10);
  return block;
}

export function phase0AggregateAndProof(slot: number) {
  const aap = ssz.phase0.AggregateAndProof.defaultValue();
  aap.aggregatorIndex = 555;
  aap.selectionProof = bytes(96, 11);
  aap.aggregate = ssz.phase0.Attestation.fromJson({
    aggregation_bits: "0xff03",
    data: ssz.phase0.AttestationData.toJson(attestationData(slot, 3, 4)),
    signature: hex(bytes(96, 12)),
  });
  return aap;
}

export function electraAggregateAndProof(slot: number) {
  const aap = ssz.electra.AggregateAndProof.defaultValue();
  aap.aggregatorIndex = 556;
  aap.selectionProof = bytes(96, 13);
  aap.aggregate.aggregationBits = ssz.electra.Attestation.fields.aggregationBits.fromJson("0xff0f01");
  aap.aggregate.data = attestationData(slot, 5, 6);
  aap.aggregate.signature = bytes(96, 14);
  aap.aggregate.committeeBits.set(5, true);
  return aap;
}

/**
 * Test-only: one request body per Gloas signing type (remote-signing-api v1.4.0 shapes, payloads
 * wrapped as `{version, data}`), each with the signing root of the consensus spec computed here with
 * lodestar's SSZ types and domain code, never with src/eth.
 */
import {
  DOMAIN_AGGREGATE_AND_PROOF,
  DOMAIN_BEACON_BUILDER,
  DOMAIN_BEACON_PROPOSER,
  DOMAIN_BUILDER_REQUEST_AUTH,
  DOMAIN_PROPOSER_PREFERENCES,
  DOMAIN_PTC_ATTESTER,
} from "@lodestar/params";
import { ssz } from "@lodestar/types";
import type { Network } from "../../src/config/networks.js";
import { attestationData, fillBlock } from "./ssz-objects.js";
import { beaconConfig, bytes, forkInfoJson, specDomain, specSigningRoot } from "./helpers.js";

export interface GloasCase {
  name: string;
  type: string;
  body: Record<string, unknown>;
  /** The spec signing root, 0x-hex. */
  root: string;
}

const ZERO_ROOT = new Uint8Array(32);
const wrap = (data: unknown) => ({ version: "GLOAS", data });

/** A Gloas beacon block at `slot`; `seed` varies its state root (and so its root). */
export function gloasBlock(slot: number, seed = 5) {
  const block = fillBlock(ssz.gloas.BeaconBlock.defaultValue(), slot, seed);
  block.body.signedExecutionPayloadBid.message.slot = slot;
  block.body.signedExecutionPayloadBid.message.blockHash = bytes(32, 61);
  block.body.payloadAttestations = [
    { aggregationBits: ssz.gloas.PayloadTimelinessCommitteeBits.defaultValue(), data: payloadAttestationData(slot - 1), signature: bytes(96, 62) },
  ];
  block.body.payloadAttestations[0]!.aggregationBits.set(3, true);
  return block;
}

export function blockCase(network: Network, slot: number, seed = 5): GloasCase {
  const block = gloasBlock(slot, seed);
  const header = {
    slot: block.slot,
    proposerIndex: block.proposerIndex,
    parentRoot: block.parentRoot,
    stateRoot: block.stateRoot,
    bodyRoot: ssz.gloas.BeaconBlockBody.hashTreeRoot(block.body),
  };
  const domain = beaconConfig(network).getDomain(slot, DOMAIN_BEACON_PROPOSER, slot);
  return {
    name: `BLOCK_V2 GLOAS header at slot ${slot}`,
    type: "BLOCK_V2",
    body: {
      type: "BLOCK_V2",
      fork_info: forkInfoJson(network, slot),
      beacon_block: { version: "GLOAS", block_header: ssz.phase0.BeaconBlockHeader.toJson(header) },
    },
    root: specSigningRoot(ssz.gloas.BeaconBlock.hashTreeRoot(block), domain),
  };
}

function payloadAttestationData(slot: number, present = true) {
  return { beaconBlockRoot: bytes(32, 63), slot, payloadPresent: present, blobDataAvailable: !present };
}

export function bidCase(network: Network, slot: number): GloasCase {
  const bid = ssz.gloas.ExecutionPayloadBid.defaultValue();
  bid.parentBlockHash = bytes(32, 64);
  bid.parentBlockRoot = bytes(32, 65);
  bid.blockHash = bytes(32, 66);
  bid.prevRandao = bytes(32, 67);
  bid.feeRecipient = bytes(20, 68);
  bid.gasLimit = 60_000_000n;
  bid.builderIndex = 17;
  bid.slot = slot;
  bid.value = 1_000_000_000;
  bid.executionPayment = 5n;
  bid.blobKzgCommitments = [bytes(48, 69), bytes(48, 70)];
  bid.executionRequestsRoot = bytes(32, 71);
  const domain = beaconConfig(network).getDomain(slot, DOMAIN_BEACON_BUILDER, slot);
  return {
    name: `EXECUTION_PAYLOAD_BID slot ${slot}`,
    type: "EXECUTION_PAYLOAD_BID",
    body: {
      type: "EXECUTION_PAYLOAD_BID",
      fork_info: forkInfoJson(network, slot),
      execution_payload_bid: wrap(ssz.gloas.ExecutionPayloadBid.toJson(bid)),
    },
    root: specSigningRoot(ssz.gloas.ExecutionPayloadBid.hashTreeRoot(bid), domain),
  };
}

export function envelopeCase(network: Network, slot: number): GloasCase {
  const envelope = ssz.gloas.ExecutionPayloadEnvelope.defaultValue();
  envelope.payload.parentHash = bytes(32, 72);
  envelope.payload.feeRecipient = bytes(20, 73);
  envelope.payload.blockNumber = 123456;
  envelope.payload.gasLimit = 60_000_000;
  envelope.payload.timestamp = 1_800_000_000;
  envelope.payload.extraData = bytes(7, 74);
  envelope.payload.baseFeePerGas = 7n;
  envelope.payload.blockHash = bytes(32, 75);
  envelope.payload.transactions = [bytes(120, 76), bytes(3, 77)];
  envelope.payload.withdrawals = [{ index: 1, validatorIndex: 2, address: bytes(20, 78), amount: 3n }];
  envelope.payload.blockAccessList = bytes(40, 79);
  envelope.payload.slotNumber = slot;
  envelope.executionRequests.deposits = [
    { pubkey: bytes(48, 80), withdrawalCredentials: bytes(32, 81), amount: 32_000_000_000, signature: bytes(96, 82), index: 9n },
  ];
  envelope.builderIndex = 18;
  envelope.beaconBlockRoot = bytes(32, 83);
  envelope.parentBeaconBlockRoot = bytes(32, 84);
  const domain = beaconConfig(network).getDomain(slot, DOMAIN_BEACON_BUILDER, slot);
  return {
    name: `EXECUTION_PAYLOAD_ENVELOPE slot ${slot}`,
    type: "EXECUTION_PAYLOAD_ENVELOPE",
    body: {
      type: "EXECUTION_PAYLOAD_ENVELOPE",
      fork_info: forkInfoJson(network, slot),
      execution_payload_envelope: wrap(ssz.gloas.ExecutionPayloadEnvelope.toJson(envelope)),
    },
    root: specSigningRoot(ssz.gloas.ExecutionPayloadEnvelope.hashTreeRoot(envelope), domain),
  };
}

export function payloadAttestationCase(network: Network, slot: number, present = true): GloasCase {
  const data = payloadAttestationData(slot, present);
  const domain = beaconConfig(network).getDomain(slot, DOMAIN_PTC_ATTESTER, slot);
  return {
    name: `PAYLOAD_ATTESTATION_MESSAGE slot ${slot} payload ${present ? "present" : "absent"}`,
    type: "PAYLOAD_ATTESTATION_MESSAGE",
    body: {
      type: "PAYLOAD_ATTESTATION_MESSAGE",
      fork_info: forkInfoJson(network, slot),
      payload_attestation_message: wrap(ssz.gloas.PayloadAttestationData.toJson(data)),
    },
    root: specSigningRoot(ssz.gloas.PayloadAttestationData.hashTreeRoot(data), domain),
  };
}

export function preferencesCase(network: Network, proposalSlot: number): GloasCase {
  const preferences = {
    dependentRoot: bytes(32, 85),
    proposalSlot,
    validatorIndex: 4321,
    feeRecipient: bytes(20, 86),
    targetGasLimit: 60_000_000n,
  };
  // The state a validator signs from is an epoch earlier; the domain follows the proposal slot.
  const domain = beaconConfig(network).getDomain(Math.max(0, proposalSlot - 32), DOMAIN_PROPOSER_PREFERENCES, proposalSlot);
  return {
    name: `PROPOSER_PREFERENCES proposal slot ${proposalSlot}`,
    type: "PROPOSER_PREFERENCES",
    body: {
      type: "PROPOSER_PREFERENCES",
      fork_info: forkInfoJson(network, proposalSlot),
      proposer_preferences: wrap(ssz.gloas.ProposerPreferences.toJson(preferences)),
    },
    root: specSigningRoot(ssz.gloas.ProposerPreferences.hashTreeRoot(preferences), domain),
  };
}

export function requestAuthCase(network: Network, slot: number): GloasCase {
  const auth = { data: new TextEncoder().encode("builder.example.org"), slot };
  const domain = specDomain(DOMAIN_BUILDER_REQUEST_AUTH, network.config.GENESIS_FORK_VERSION, ZERO_ROOT);
  return {
    name: `BUILDER_REQUEST_AUTH slot ${slot}`,
    type: "BUILDER_REQUEST_AUTH",
    body: { type: "BUILDER_REQUEST_AUTH", builder_request_auth: wrap(ssz.gloas.BuilderRequestAuth.toJson(auth)) },
    root: specSigningRoot(ssz.gloas.BuilderRequestAuth.hashTreeRoot(auth), domain),
  };
}

/** An Electra-shaped aggregate at a Gloas slot, whose root is gloas.AggregateAndProof's. */
export function gloasAggregate(slot: number) {
  const aap = ssz.gloas.AggregateAndProof.defaultValue();
  aap.aggregatorIndex = 557;
  aap.selectionProof = bytes(96, 87);
  aap.aggregate.aggregationBits = ssz.gloas.AggregationBits.fromJson("0xff0f01");
  aap.aggregate.data = attestationData(slot, 7, 8);
  aap.aggregate.signature = bytes(96, 88);
  aap.aggregate.committeeBits.set(2, true);
  return aap;
}

export function aggregateV2Case(network: Network, slot: number): GloasCase {
  const aap = gloasAggregate(slot);
  const domain = beaconConfig(network).getDomain(slot, DOMAIN_AGGREGATE_AND_PROOF, slot);
  return {
    name: `AGGREGATE_AND_PROOF_V2 GLOAS slot ${slot}`,
    type: "AGGREGATE_AND_PROOF_V2",
    body: {
      type: "AGGREGATE_AND_PROOF_V2",
      fork_info: forkInfoJson(network, slot),
      aggregate_and_proof: wrap(ssz.gloas.AggregateAndProof.toJson(aap)),
    },
    root: specSigningRoot(ssz.gloas.AggregateAndProof.hashTreeRoot(aap), domain),
  };
}

/** Every Gloas-only request (and version) at `slot`, distinct roots. */
export function gloasCases(network: Network, slot: number): GloasCase[] {
  return [
    blockCase(network, slot),
    bidCase(network, slot + 1),
    envelopeCase(network, slot + 2),
    payloadAttestationCase(network, slot + 3),
    preferencesCase(network, slot + 4),
    requestAuthCase(network, slot + 5),
    aggregateV2Case(network, slot + 6),
  ];
}


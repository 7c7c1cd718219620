// Every request type and fork variant, against lodestar's own domain computation on mainnet.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  DOMAIN_AGGREGATE_AND_PROOF,
  DOMAIN_APPLICATION_BUILDER,
  DOMAIN_BEACON_ATTESTER,
  DOMAIN_BEACON_PROPOSER,
  DOMAIN_CONTRIBUTION_AND_PROOF,
  DOMAIN_DEPOSIT,
  DOMAIN_RANDAO,
  DOMAIN_SELECTION_PROOF,
  DOMAIN_SYNC_COMMITTEE,
  DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
  ForkName,
  SLOTS_PER_EPOCH,
} from "@lodestar/params";
import { createBeaconConfig } from "@lodestar/config";
import { ssz } from "@lodestar/types";
import { resolveNetwork } from "../../src/config/networks.js";
import { computeSigningRoot, parseSigningRequest } from "../../src/eth/index.js";
import { beaconConfig, bytes, forkInfoJson, fromHex, hex, specSigningRoot } from "./helpers.js";
import { altairBlock, attestationData, type BlockLike, electraAggregateAndProof, fillBlock, phase0AggregateAndProof, phase0Block } from "./ssz-objects.js";

const network = resolveNetwork("mainnet");
const config = beaconConfig(network);
const startSlot = (fork: ForkName): number => network.config.forks[fork].epoch * SLOTS_PER_EPOCH;

function sign(body: Record<string, unknown>) {
  const result = computeSigningRoot(network, parseSigningRequest(body));
  return { ...result, root: hex(result.signingRoot) };
}






/** A full post-Bellatrix block, its root, and the header Web3Signer sends instead of it. */
function headerCase<B extends BlockLike>(
  blockType: { defaultValue(): B; hashTreeRoot(value: B): Uint8Array },
  bodyType: { hashTreeRoot(value: B["body"]): Uint8Array },
  slot: number,
) {
  const block = fillBlock(blockType.defaultValue(), slot);
  const header = {
    slot: block.slot,
    proposerIndex: block.proposerIndex,
    parentRoot: block.parentRoot,
    stateRoot: block.stateRoot,
    bodyRoot: bodyType.hashTreeRoot(block.body),
  };
  return { blockRoot: blockType.hashTreeRoot(block), headerJson: ssz.phase0.BeaconBlockHeader.toJson(header) };
}

const HEADER_FORKS = [
  ["BELLATRIX", ForkName.bellatrix, (s: number) => headerCase(ssz.bellatrix.BeaconBlock, ssz.bellatrix.BeaconBlockBody, s)],
  ["CAPELLA", ForkName.capella, (s: number) => headerCase(ssz.capella.BeaconBlock, ssz.capella.BeaconBlockBody, s)],
  ["DENEB", ForkName.deneb, (s: number) => headerCase(ssz.deneb.BeaconBlock, ssz.deneb.BeaconBlockBody, s)],
  ["ELECTRA", ForkName.electra, (s: number) => headerCase(ssz.electra.BeaconBlock, ssz.electra.BeaconBlockBody, s)],
  ["FULU", ForkName.fulu, (s: number) => headerCase(ssz.fulu.BeaconBlock, ssz.fulu.BeaconBlockBody, s)],
] as const;

const POST_GENESIS_FORKS = [
  ForkName.altair,
  ForkName.bellatrix,
  ForkName.capella,
  ForkName.deneb,
  ForkName.electra,
  ForkName.fulu,
];

describe("blocks", () => {
  test("BLOCK (phase0) uses DOMAIN_BEACON_PROPOSER and reports the slot", () => {
    const slot = 1000;
    const block = phase0Block(slot);
    const got = sign({
      type: "BLOCK",
      fork_info: forkInfoJson(network, slot),
      block: ssz.phase0.BeaconBlock.toJson(block),
    });
    const domain = config.getDomain(slot, DOMAIN_BEACON_PROPOSER, slot);
    assert.equal(got.root, specSigningRoot(ssz.phase0.BeaconBlock.hashTreeRoot(block), domain));
    assert.deepEqual(got.protection, { kind: "block", slot });
  });

  test("BLOCK_V2 PHASE0 with a full block", () => {
    const slot = 31 * SLOTS_PER_EPOCH + 4;
    const block = phase0Block(slot);
    const got = sign({
      type: "BLOCK_V2",
      fork_info: forkInfoJson(network, slot),
      beacon_block: { version: "PHASE0", block: ssz.phase0.BeaconBlock.toJson(block) },
    });
    const domain = config.getDomain(slot, DOMAIN_BEACON_PROPOSER, slot);
    assert.equal(got.root, specSigningRoot(ssz.phase0.BeaconBlock.hashTreeRoot(block), domain));
    assert.deepEqual(got.protection, { kind: "block", slot });
  });

  test("BLOCK_V2 ALTAIR with a full block", () => {
    const slot = startSlot(ForkName.altair) + 9;
    const block = altairBlock(slot);
    const got = sign({
      type: "BLOCK_V2",
      fork_info: forkInfoJson(network, slot),
      beacon_block: { version: "ALTAIR", block: ssz.altair.BeaconBlock.toJson(block) },
    });
    const domain = config.getDomain(slot, DOMAIN_BEACON_PROPOSER, slot);
    assert.equal(got.root, specSigningRoot(ssz.altair.BeaconBlock.hashTreeRoot(block), domain));
    assert.deepEqual(got.protection, { kind: "block", slot });
  });

  for (const [version, fork, build] of HEADER_FORKS) {
    test(`BLOCK_V2 ${version} with a block header signs the full block's root`, () => {
      const slot = startSlot(fork) + 17;
      const { blockRoot, headerJson } = build(slot);
      const got = sign({
        type: "BLOCK_V2",
        fork_info: forkInfoJson(network, slot),
        beacon_block: { version, block_header: headerJson },
      });
      const domain = config.getDomain(slot, DOMAIN_BEACON_PROPOSER, slot);
      assert.equal(got.root, specSigningRoot(blockRoot, domain));
      assert.deepEqual(got.protection, { kind: "block", slot });
    });
  }
});

describe("attestations", () => {
  for (const fork of POST_GENESIS_FORKS) {
    const forkEpoch = network.config.forks[fork].epoch;
    for (const targetEpoch of [forkEpoch - 1, forkEpoch, forkEpoch + 3]) {
      test(`ATTESTATION in the ${fork} state, target epoch ${targetEpoch - forkEpoch} from the fork`, () => {
        const stateSlot = startSlot(fork) + 2;
        const data = attestationData(targetEpoch * SLOTS_PER_EPOCH + 1, targetEpoch - 2, targetEpoch);
        const got = sign({
          type: "ATTESTATION",
          fork_info: forkInfoJson(network, stateSlot),
          attestation: ssz.phase0.AttestationData.toJson(data),
        });
        const domain = config.getDomain(stateSlot, DOMAIN_BEACON_ATTESTER, targetEpoch * SLOTS_PER_EPOCH);
        assert.equal(got.root, specSigningRoot(ssz.phase0.AttestationData.hashTreeRoot(data), domain));
        assert.deepEqual(got.protection, {
          kind: "attestation",
          sourceEpoch: targetEpoch - 2,
          targetEpoch,
        });
      });
    }
  }

  test("the previous fork version really differs from the current one at a boundary", () => {
    const stateSlot = startSlot(ForkName.deneb);
    const epoch = network.config.forks.deneb.epoch;
    const before = sign({
      type: "ATTESTATION",
      fork_info: forkInfoJson(network, stateSlot),
      attestation: ssz.phase0.AttestationData.toJson(attestationData(0, epoch - 2, epoch - 1)),
    });
    assert.equal(hex(before.domain.subarray(0, 4)), hex(DOMAIN_BEACON_ATTESTER));
    assert.deepEqual(before.domain, config.getDomainAtFork(ForkName.capella, DOMAIN_BEACON_ATTESTER));
    assert.notDeepEqual(before.domain, config.getDomainAtFork(ForkName.deneb, DOMAIN_BEACON_ATTESTER));
  });
});

describe("aggregation", () => {
  test("AGGREGATION_SLOT signs the slot with DOMAIN_SELECTION_PROOF", () => {
    const stateSlot = startSlot(ForkName.electra) + 40;
    const slot = stateSlot + 1;
    const got = sign({
      type: "AGGREGATION_SLOT",
      fork_info: forkInfoJson(network, stateSlot),
      aggregation_slot: { slot: String(slot) },
    });
    const domain = config.getDomain(stateSlot, DOMAIN_SELECTION_PROOF, slot);
    assert.equal(got.root, specSigningRoot(ssz.Slot.hashTreeRoot(slot), domain));
    assert.equal(got.protection, null);
  });



  test("AGGREGATE_AND_PROOF (phase0)", () => {
    const slot = 500;
    const aap = phase0AggregateAndProof(slot);
    const got = sign({
      type: "AGGREGATE_AND_PROOF",
      fork_info: forkInfoJson(network, slot),
      aggregate_and_proof: ssz.phase0.AggregateAndProof.toJson(aap),
    });
    const domain = config.getDomain(slot, DOMAIN_AGGREGATE_AND_PROOF, slot);
    assert.equal(got.root, specSigningRoot(ssz.phase0.AggregateAndProof.hashTreeRoot(aap), domain));
    assert.equal(got.protection, null);
  });

  const phase0Shaped = [
    ["PHASE0", ForkName.phase0],
    ["ALTAIR", ForkName.altair],
    ["BELLATRIX", ForkName.bellatrix],
    ["CAPELLA", ForkName.capella],
    ["DENEB", ForkName.deneb],
  ] as const;
  for (const [version, fork] of phase0Shaped) {
    test(`AGGREGATE_AND_PROOF_V2 ${version} uses the phase0 AggregateAndProof`, () => {
      const slot = startSlot(fork) + 33;
      const aap = phase0AggregateAndProof(slot);
      const got = sign({
        type: "AGGREGATE_AND_PROOF_V2",
        fork_info: forkInfoJson(network, slot),
        aggregate_and_proof: { version, data: ssz.phase0.AggregateAndProof.toJson(aap) },
      });
      const domain = config.getDomain(slot, DOMAIN_AGGREGATE_AND_PROOF, slot);
      assert.equal(got.root, specSigningRoot(ssz.phase0.AggregateAndProof.hashTreeRoot(aap), domain));
    });
  }
  for (const [version, fork] of [["ELECTRA", ForkName.electra], ["FULU", ForkName.fulu]] as const) {
    test(`AGGREGATE_AND_PROOF_V2 ${version} uses the electra AggregateAndProof`, () => {
      const slot = startSlot(fork) + 65;
      const aap = electraAggregateAndProof(slot);
      const got = sign({
        type: "AGGREGATE_AND_PROOF_V2",
        fork_info: forkInfoJson(network, slot),
        aggregate_and_proof: { version, data: ssz.electra.AggregateAndProof.toJson(aap) },
      });
      const domain = config.getDomain(slot, DOMAIN_AGGREGATE_AND_PROOF, slot);
      assert.equal(got.root, specSigningRoot(ssz.electra.AggregateAndProof.hashTreeRoot(aap), domain));
    });
  }
});

describe("other duties", () => {
  test("RANDAO_REVEAL signs the epoch", () => {
    const stateSlot = startSlot(ForkName.fulu) + 100;
    const epoch = Math.floor(stateSlot / SLOTS_PER_EPOCH);
    const got = sign({
      type: "RANDAO_REVEAL",
      fork_info: forkInfoJson(network, stateSlot),
      randao_reveal: { epoch: String(epoch) },
    });
    const domain = config.getDomain(stateSlot, DOMAIN_RANDAO, epoch * SLOTS_PER_EPOCH);
    assert.equal(got.root, specSigningRoot(ssz.Epoch.hashTreeRoot(epoch), domain));
    assert.equal(got.protection, null);
  });

  test("SYNC_COMMITTEE_MESSAGE signs the block root", () => {
    const slot = startSlot(ForkName.deneb) + 7;
    const root = bytes(32, 15);
    const got = sign({
      type: "SYNC_COMMITTEE_MESSAGE",
      fork_info: forkInfoJson(network, slot),
      sync_committee_message: { beacon_block_root: hex(root), slot: String(slot) },
    });
    const domain = config.getDomain(slot, DOMAIN_SYNC_COMMITTEE, slot);
    assert.equal(got.root, specSigningRoot(root, domain));
  });

  test("SYNC_COMMITTEE_SELECTION_PROOF signs SyncAggregatorSelectionData", () => {
    const slot = startSlot(ForkName.capella) + 9;
    const data = ssz.altair.SyncAggregatorSelectionData.defaultValue();
    data.slot = slot;
    data.subcommitteeIndex = 2;
    const got = sign({
      type: "SYNC_COMMITTEE_SELECTION_PROOF",
      fork_info: forkInfoJson(network, slot),
      sync_aggregator_selection_data: ssz.altair.SyncAggregatorSelectionData.toJson(data),
    });
    const domain = config.getDomain(slot, DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF, slot);
    assert.equal(got.root, specSigningRoot(ssz.altair.SyncAggregatorSelectionData.hashTreeRoot(data), domain));
  });

  test("SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF", () => {
    const slot = startSlot(ForkName.electra) + 3;
    const cap = ssz.altair.ContributionAndProof.defaultValue();
    cap.aggregatorIndex = 9;
    cap.selectionProof = bytes(96, 16);
    cap.contribution.slot = slot;
    cap.contribution.beaconBlockRoot = bytes(32, 17);
    cap.contribution.subcommitteeIndex = 1;
    cap.contribution.aggregationBits.set(7, true);
    cap.contribution.signature = bytes(96, 18);
    const got = sign({
      type: "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF",
      fork_info: forkInfoJson(network, slot),
      contribution_and_proof: ssz.altair.ContributionAndProof.toJson(cap),
    });
    const domain = config.getDomain(slot, DOMAIN_CONTRIBUTION_AND_PROOF, slot);
    assert.equal(got.root, specSigningRoot(ssz.altair.ContributionAndProof.hashTreeRoot(cap), domain));
  });

  test("DEPOSIT uses its own genesis_fork_version and a zero genesis validators root", () => {
    const message = ssz.phase0.DepositMessage.defaultValue();
    message.pubkey = bytes(48, 19);
    message.withdrawalCredentials = bytes(32, 20);
    message.amount = 32_000_000_000;
    const genesisForkVersion = fromHex("0x10000910");
    const got = sign({
      type: "DEPOSIT",
      deposit: { ...ssz.phase0.DepositMessage.toJson(message), genesis_fork_version: hex(genesisForkVersion) },
    });
    // lodestar's phase0 domain of a config whose genesis fork is the deposit's, on a zero root.
    const depositConfig = createBeaconConfig(
      { ...network.config, GENESIS_FORK_VERSION: genesisForkVersion },
      new Uint8Array(32),
    );
    const domain = depositConfig.getDomainAtFork(ForkName.phase0, DOMAIN_DEPOSIT);
    assert.equal(got.root, specSigningRoot(ssz.phase0.DepositMessage.hashTreeRoot(message), domain));
    assert.equal(got.protection, null);
  });

  test("DEPOSIT needs no fork_info and ignores a wrong one", () => {
    const deposit = {
      pubkey: hex(bytes(48, 1)),
      withdrawal_credentials: hex(bytes(32, 2)),
      amount: "32000000000",
      genesis_fork_version: "0x00000000",
    };
    const plain = sign({ type: "DEPOSIT", deposit });
    const withForkInfo = sign({
      type: "DEPOSIT",
      deposit,
      fork_info: { ...forkInfoJson(network, 0), genesis_validators_root: hex(bytes(32, 3)) },
    });
    assert.equal(plain.root, withForkInfo.root);
  });

  test("VALIDATOR_REGISTRATION uses the builder domain of the network's genesis fork", () => {
    const registration = ssz.bellatrix.ValidatorRegistrationV1.defaultValue();
    registration.feeRecipient = bytes(20, 21);
    registration.gasLimit = 36_000_000;
    registration.timestamp = 1_700_000_000;
    registration.pubkey = bytes(48, 22);
    const got = sign({
      type: "VALIDATOR_REGISTRATION",
      validator_registration: ssz.bellatrix.ValidatorRegistrationV1.toJson(registration),
    });
    const domain = createBeaconConfig(network.config, new Uint8Array(32)).getDomainAtFork(
      ForkName.phase0,
      DOMAIN_APPLICATION_BUILDER,
    );
    assert.equal(
      got.root,
      specSigningRoot(ssz.bellatrix.ValidatorRegistrationV1.hashTreeRoot(registration), domain),
    );
    assert.equal(got.protection, null);
  });
});

// Test-only: one Web3Signer request body per request type and fork variant on mainnet, each with
// the signing root lodestar's SSZ types and config give for it (independent of src/eth).
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
  DOMAIN_VOLUNTARY_EXIT,
  ForkName,
  SLOTS_PER_EPOCH,
} from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { beaconConfig, bytes, forkInfoJson, fromHex, hex, specDomain, specSigningRoot } from "../eth/helpers.js";
import { altairBlock, attestationData, type BlockLike, electraAggregateAndProof, fillBlock, phase0AggregateAndProof, phase0Block } from "../eth/ssz-objects.js";
import { LODESTAR_MAINNET } from "./harness.js";
import { TEST_DEPOSIT_CREDENTIALS } from "../helpers/policy.js";

export const network = LODESTAR_MAINNET;
export const config = beaconConfig(network);
export const GVR = fromHex(network.genesisValidatorsRoot);
const ZERO_ROOT = new Uint8Array(32);
export const startSlot = (fork: ForkName): number => network.config.forks[fork].epoch * SLOTS_PER_EPOCH;

export interface SigningCase {
  name: string;
  body: Record<string, unknown>;
  /** The signing root, 0x-hex. */
  root: string;
}


/**
 * An ATTESTATION body (fork_info of the state at the target epoch's first slot) and its root.
 * `seed` varies beacon_block_root, and so the signing root, without changing source or target.
 */
export function attestationCase(sourceEpoch: number, targetEpoch: number, seed = 1): SigningCase {
  const stateSlot = targetEpoch * SLOTS_PER_EPOCH;
  const data = attestationData(stateSlot + 1, sourceEpoch, targetEpoch, seed);
  const domain = config.getDomain(stateSlot, DOMAIN_BEACON_ATTESTER, targetEpoch * SLOTS_PER_EPOCH);
  return {
    name: `ATTESTATION ${sourceEpoch}->${targetEpoch}`,
    body: {
      type: "ATTESTATION",
      fork_info: forkInfoJson(network, stateSlot),
      attestation: ssz.phase0.AttestationData.toJson(data),
    },
    root: specSigningRoot(ssz.phase0.AttestationData.hashTreeRoot(data), domain),
  };
}





const FULL_BLOCK_TYPES = {
  BELLATRIX: [ssz.bellatrix.BeaconBlock, ssz.bellatrix.BeaconBlockBody, ForkName.bellatrix],
  CAPELLA: [ssz.capella.BeaconBlock, ssz.capella.BeaconBlockBody, ForkName.capella],
  DENEB: [ssz.deneb.BeaconBlock, ssz.deneb.BeaconBlockBody, ForkName.deneb],
  ELECTRA: [ssz.electra.BeaconBlock, ssz.electra.BeaconBlockBody, ForkName.electra],
  FULU: [ssz.fulu.BeaconBlock, ssz.fulu.BeaconBlockBody, ForkName.fulu],
} as const;

export type HeaderVersion = keyof typeof FULL_BLOCK_TYPES;

/**
 * A BLOCK_V2 body carrying the header of a full post-Bellatrix block; the expected root is the
 * full block's own hash tree root. `seed` varies the state root (and so the signing root).
 */
export function headerBlockCase(version: HeaderVersion, slot: number, seed = 5): SigningCase {
  const [blockType, bodyType] = FULL_BLOCK_TYPES[version] as unknown as [
    { defaultValue(): BlockLike; hashTreeRoot(value: BlockLike): Uint8Array },
    { hashTreeRoot(value: BlockLike["body"]): Uint8Array },
  ];
  const block = fillBlock(blockType.defaultValue(), slot, seed);
  const header = {
    slot: block.slot,
    proposerIndex: block.proposerIndex,
    parentRoot: block.parentRoot,
    stateRoot: block.stateRoot,
    bodyRoot: bodyType.hashTreeRoot(block.body),
  };
  const domain = config.getDomain(slot, DOMAIN_BEACON_PROPOSER, slot);
  return {
    name: `BLOCK_V2 ${version} header at slot ${slot}`,
    body: {
      type: "BLOCK_V2",
      fork_info: forkInfoJson(network, slot),
      beacon_block: { version, block_header: ssz.phase0.BeaconBlockHeader.toJson(header) },
    },
    root: specSigningRoot(blockType.hashTreeRoot(block), domain),
  };
}



export function randaoCase(epoch: number): SigningCase {
  const stateSlot = epoch * SLOTS_PER_EPOCH + 3;
  const domain = config.getDomain(stateSlot, DOMAIN_RANDAO, epoch * SLOTS_PER_EPOCH);
  return {
    name: `RANDAO_REVEAL epoch ${epoch}`,
    body: { type: "RANDAO_REVEAL", fork_info: forkInfoJson(network, stateSlot), randao_reveal: { epoch: String(epoch) } },
    root: specSigningRoot(ssz.Epoch.hashTreeRoot(epoch), domain),
  };
}

export function aggregationSlotCase(slot: number): SigningCase {
  const stateSlot = slot - 1;
  const domain = config.getDomain(stateSlot, DOMAIN_SELECTION_PROOF, slot);
  return {
    name: `AGGREGATION_SLOT ${slot}`,
    body: { type: "AGGREGATION_SLOT", fork_info: forkInfoJson(network, stateSlot), aggregation_slot: { slot: String(slot) } },
    root: specSigningRoot(ssz.Slot.hashTreeRoot(slot), domain),
  };
}

export function syncCommitteeMessageCase(slot: number): SigningCase {
  const root = bytes(32, 15);
  const domain = config.getDomain(slot, DOMAIN_SYNC_COMMITTEE, slot);
  return {
    name: `SYNC_COMMITTEE_MESSAGE slot ${slot}`,
    body: {
      type: "SYNC_COMMITTEE_MESSAGE",
      fork_info: forkInfoJson(network, slot),
      sync_committee_message: { beacon_block_root: hex(root), slot: String(slot) },
    },
    root: specSigningRoot(root, domain),
  };
}

export function syncSelectionProofCase(slot: number): SigningCase {
  const data = ssz.altair.SyncAggregatorSelectionData.defaultValue();
  data.slot = slot;
  data.subcommitteeIndex = 2;
  const domain = config.getDomain(slot, DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF, slot);
  return {
    name: `SYNC_COMMITTEE_SELECTION_PROOF slot ${slot}`,
    body: {
      type: "SYNC_COMMITTEE_SELECTION_PROOF",
      fork_info: forkInfoJson(network, slot),
      sync_aggregator_selection_data: ssz.altair.SyncAggregatorSelectionData.toJson(data),
    },
    root: specSigningRoot(ssz.altair.SyncAggregatorSelectionData.hashTreeRoot(data), domain),
  };
}

function exitCase(name: string, forkInfo: Record<string, unknown>, epoch: number, domain: Uint8Array): SigningCase {
  const exit = { epoch, validatorIndex: 4242 };
  return {
    name,
    body: { type: "VOLUNTARY_EXIT", fork_info: forkInfo, voluntary_exit: ssz.phase0.VoluntaryExit.toJson(exit) },
    root: specSigningRoot(ssz.phase0.VoluntaryExit.hashTreeRoot(exit), domain),
  };
}

/** Every request type and fork variant, each on distinct slots/epochs. */
export function allCases(): SigningCase[] {
  const cases: SigningCase[] = [];

  // Blocks.
  {
    const slot = 1000;
    const block = phase0Block(slot);
    cases.push({
      name: "BLOCK (phase0)",
      body: { type: "BLOCK", fork_info: forkInfoJson(network, slot), block: ssz.phase0.BeaconBlock.toJson(block) },
      root: specSigningRoot(ssz.phase0.BeaconBlock.hashTreeRoot(block), config.getDomain(slot, DOMAIN_BEACON_PROPOSER, slot)),
    });
  }
  {
    const slot = 31 * SLOTS_PER_EPOCH + 4;
    const block = phase0Block(slot);
    cases.push({
      name: "BLOCK_V2 PHASE0 full block",
      body: {
        type: "BLOCK_V2",
        fork_info: forkInfoJson(network, slot),
        beacon_block: { version: "PHASE0", block: ssz.phase0.BeaconBlock.toJson(block) },
      },
      root: specSigningRoot(ssz.phase0.BeaconBlock.hashTreeRoot(block), config.getDomain(slot, DOMAIN_BEACON_PROPOSER, slot)),
    });
  }
  {
    const slot = startSlot(ForkName.altair) + 9;
    const block = altairBlock(slot);
    cases.push({
      name: "BLOCK_V2 ALTAIR full block",
      body: {
        type: "BLOCK_V2",
        fork_info: forkInfoJson(network, slot),
        beacon_block: { version: "ALTAIR", block: ssz.altair.BeaconBlock.toJson(block) },
      },
      root: specSigningRoot(ssz.altair.BeaconBlock.hashTreeRoot(block), config.getDomain(slot, DOMAIN_BEACON_PROPOSER, slot)),
    });
  }
  for (const version of Object.keys(FULL_BLOCK_TYPES) as HeaderVersion[]) {
    cases.push(headerBlockCase(version, startSlot(FULL_BLOCK_TYPES[version][2]) + 17));
  }

  // Attestations: one whose target is before the state's fork (previous version), one after.
  {
    const forkEpoch = network.config.forks.electra.epoch;
    const stateSlot = startSlot(ForkName.electra) + 2;
    for (const targetEpoch of [forkEpoch - 1, forkEpoch + 3]) {
      const data = attestationData(targetEpoch * SLOTS_PER_EPOCH + 1, targetEpoch - 2, targetEpoch);
      const domain = config.getDomain(stateSlot, DOMAIN_BEACON_ATTESTER, targetEpoch * SLOTS_PER_EPOCH);
      cases.push({
        name: `ATTESTATION target ${targetEpoch - forkEpoch} from Electra in an Electra state`,
        body: {
          type: "ATTESTATION",
          fork_info: forkInfoJson(network, stateSlot),
          attestation: ssz.phase0.AttestationData.toJson(data),
        },
        root: specSigningRoot(ssz.phase0.AttestationData.hashTreeRoot(data), domain),
      });
    }
  }

  // Aggregation.
  cases.push(aggregationSlotCase(startSlot(ForkName.electra) + 41));
  {
    const slot = 500;
    const aap = phase0AggregateAndProof(slot);
    cases.push({
      name: "AGGREGATE_AND_PROOF (phase0)",
      body: {
        type: "AGGREGATE_AND_PROOF",
        fork_info: forkInfoJson(network, slot),
        aggregate_and_proof: ssz.phase0.AggregateAndProof.toJson(aap),
      },
      root: specSigningRoot(
        ssz.phase0.AggregateAndProof.hashTreeRoot(aap),
        config.getDomain(slot, DOMAIN_AGGREGATE_AND_PROOF, slot),
      ),
    });
  }
  const phase0Shaped = [
    ["PHASE0", ForkName.phase0],
    ["ALTAIR", ForkName.altair],
    ["BELLATRIX", ForkName.bellatrix],
    ["CAPELLA", ForkName.capella],
    ["DENEB", ForkName.deneb],
  ] as const;
  for (const [version, fork] of phase0Shaped) {
    const slot = startSlot(fork) + 33;
    const aap = phase0AggregateAndProof(slot);
    cases.push({
      name: `AGGREGATE_AND_PROOF_V2 ${version}`,
      body: {
        type: "AGGREGATE_AND_PROOF_V2",
        fork_info: forkInfoJson(network, slot),
        aggregate_and_proof: { version, data: ssz.phase0.AggregateAndProof.toJson(aap) },
      },
      root: specSigningRoot(
        ssz.phase0.AggregateAndProof.hashTreeRoot(aap),
        config.getDomain(slot, DOMAIN_AGGREGATE_AND_PROOF, slot),
      ),
    });
  }
  for (const [version, fork] of [["ELECTRA", ForkName.electra], ["FULU", ForkName.fulu]] as const) {
    const slot = startSlot(fork) + 65;
    const aap = electraAggregateAndProof(slot);
    cases.push({
      name: `AGGREGATE_AND_PROOF_V2 ${version}`,
      body: {
        type: "AGGREGATE_AND_PROOF_V2",
        fork_info: forkInfoJson(network, slot),
        aggregate_and_proof: { version, data: ssz.electra.AggregateAndProof.toJson(aap) },
      },
      root: specSigningRoot(
        ssz.electra.AggregateAndProof.hashTreeRoot(aap),
        config.getDomain(slot, DOMAIN_AGGREGATE_AND_PROOF, slot),
      ),
    });
  }

  // Other duties.
  cases.push(randaoCase(network.config.forks.fulu.epoch + 3));

  // Voluntary exits: before Deneb, the state's fork rule; from Deneb on, always CAPELLA_FORK_VERSION.
  {
    const stateSlot = startSlot(ForkName.bellatrix) + 3;
    const epoch = network.config.forks.altair.epoch + 1;
    cases.push(
      exitCase(
        "VOLUNTARY_EXIT pre-Deneb (Altair epoch in a Bellatrix state: previous version)",
        forkInfoJson(network, stateSlot),
        epoch,
        config.getDomain(stateSlot, DOMAIN_VOLUNTARY_EXIT, epoch * SLOTS_PER_EPOCH),
      ),
    );
  }
  {
    const stateSlot = startSlot(ForkName.capella) + 40;
    const epoch = Math.floor(stateSlot / SLOTS_PER_EPOCH);
    cases.push(
      exitCase(
        "VOLUNTARY_EXIT in a Capella state",
        forkInfoJson(network, stateSlot),
        epoch,
        specDomain(DOMAIN_VOLUNTARY_EXIT, network.config.CAPELLA_FORK_VERSION, GVR),
      ),
    );
  }
  const capellaExitDomain = specDomain(DOMAIN_VOLUNTARY_EXIT, network.config.CAPELLA_FORK_VERSION, GVR);
  for (const fork of [ForkName.deneb, ForkName.electra, ForkName.fulu]) {
    const stateSlot = startSlot(fork) + 5;
    const epoch = Math.floor(stateSlot / SLOTS_PER_EPOCH);
    cases.push(
      exitCase(`VOLUNTARY_EXIT in a ${fork} state signs with the Capella domain (EIP-7044)`, forkInfoJson(network, stateSlot), epoch, capellaExitDomain),
    );
  }
  cases.push(
    exitCase(
      "VOLUNTARY_EXIT post-Deneb epoch with the Capella fork_info EIP-7044 clients send",
      forkInfoJson(network, startSlot(ForkName.capella)),
      network.config.forks.fulu.epoch + 7,
      capellaExitDomain,
    ),
  );

  {
    const message = ssz.phase0.DepositMessage.defaultValue();
    message.pubkey = bytes(48, 19);
    message.withdrawalCredentials = TEST_DEPOSIT_CREDENTIALS;
    message.amount = 32_000_000_000;
    const genesisForkVersion = network.config.GENESIS_FORK_VERSION;
    cases.push({
      name: "DEPOSIT",
      body: { type: "DEPOSIT", deposit: { ...ssz.phase0.DepositMessage.toJson(message), genesis_fork_version: hex(genesisForkVersion) } },
      root: specSigningRoot(ssz.phase0.DepositMessage.hashTreeRoot(message), specDomain(DOMAIN_DEPOSIT, genesisForkVersion, ZERO_ROOT)),
    });
  }
  cases.push(syncCommitteeMessageCase(startSlot(ForkName.deneb) + 7));
  cases.push(syncSelectionProofCase(startSlot(ForkName.capella) + 9));
  {
    const slot = startSlot(ForkName.electra) + 3;
    const cap = ssz.altair.ContributionAndProof.defaultValue();
    cap.aggregatorIndex = 9;
    cap.selectionProof = bytes(96, 16);
    cap.contribution.slot = slot;
    cap.contribution.beaconBlockRoot = bytes(32, 17);
    cap.contribution.subcommitteeIndex = 1;
    cap.contribution.aggregationBits.set(7, true);
    cap.contribution.signature = bytes(96, 18);
    cases.push({
      name: "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF",
      body: {
        type: "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF",
        fork_info: forkInfoJson(network, slot),
        contribution_and_proof: ssz.altair.ContributionAndProof.toJson(cap),
      },
      root: specSigningRoot(ssz.altair.ContributionAndProof.hashTreeRoot(cap), config.getDomain(slot, DOMAIN_CONTRIBUTION_AND_PROOF, slot)),
    });
  }
  {
    const registration = ssz.bellatrix.ValidatorRegistrationV1.defaultValue();
    registration.feeRecipient = bytes(20, 21);
    registration.gasLimit = 36_000_000;
    registration.timestamp = 1_700_000_000;
    registration.pubkey = bytes(48, 22);
    cases.push({
      name: "VALIDATOR_REGISTRATION",
      body: {
        type: "VALIDATOR_REGISTRATION",
        validator_registration: ssz.bellatrix.ValidatorRegistrationV1.toJson(registration),
      },
      root: specSigningRoot(
        ssz.bellatrix.ValidatorRegistrationV1.hashTreeRoot(registration),
        specDomain(DOMAIN_APPLICATION_BUILDER, network.config.GENESIS_FORK_VERSION, ZERO_ROOT),
      ),
    });
  }
  return cases;
}

// Run by preset.test.ts in a child process with LODESTAR_PRESET=minimal (the preset is fixed when
// @lodestar/params is first imported). Prints [{name, got, expected}] as JSON on stdout.
import { createBeaconConfig, createChainForkConfig } from "@lodestar/config";
import { minimalChainConfig } from "@lodestar/config/configs";
import {
  ACTIVE_PRESET,
  DOMAIN_AGGREGATE_AND_PROOF,
  DOMAIN_BEACON_ATTESTER,
  DOMAIN_BEACON_PROPOSER,
  DOMAIN_CONTRIBUTION_AND_PROOF,
  DOMAIN_SELECTION_PROOF,
  DOMAIN_SYNC_COMMITTEE,
  SLOTS_PER_EPOCH,
} from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { type Network, resolveNetwork } from "../../src/config/networks.js";
import { computeSigningRoot, parseSigningRequest } from "../../src/eth/index.js";
import { bytes, forkInfoJson, fromHex, hex, specSigningRoot } from "./helpers.js";

if (ACTIVE_PRESET !== "minimal" || SLOTS_PER_EPOCH !== 8) {
  throw new Error(`run with LODESTAR_PRESET=minimal (active preset ${ACTIVE_PRESET})`);
}

const GVR = hex(bytes(32, 40));
const scheduled: Network = {
  name: "minimal-scheduled",
  config: createChainForkConfig({
    ...minimalChainConfig,
    ALTAIR_FORK_EPOCH: 2,
    BELLATRIX_FORK_EPOCH: 4,
    CAPELLA_FORK_EPOCH: 6,
    DENEB_FORK_EPOCH: 8,
    ELECTRA_FORK_EPOCH: 10,
    FULU_FORK_EPOCH: 12,
  }),
  genesisValidatorsRoot: GVR,
};
const config = createBeaconConfig(scheduled.config, fromHex(GVR));
const results: { name: string; got: string; expected: string }[] = [];

function check(name: string, network: Network, body: Record<string, unknown>, expected: string): void {
  let got: string;
  try {
    got = hex(computeSigningRoot(network, parseSigningRequest(body)).signingRoot);
  } catch (err) {
    got = `${(err as Error).name}: ${(err as Error).message}`;
  }
  results.push({ name, got, expected });
}

// Slot 17 is epoch 2 (Altair) with 8 slots per epoch but epoch 0 (phase0) with 32.
{
  const slot = 17;
  check(
    "AGGREGATION_SLOT at the first Altair epoch",
    scheduled,
    { type: "AGGREGATION_SLOT", fork_info: forkInfoJson(scheduled, slot), aggregation_slot: { slot: String(slot) } },
    specSigningRoot(ssz.Slot.hashTreeRoot(slot), config.getDomain(slot, DOMAIN_SELECTION_PROOF, slot)),
  );
}
{
  const stateSlot = 8 * 8 + 1;
  for (const target of [7, 8]) {
    const data = ssz.phase0.AttestationData.defaultValue();
    data.slot = target * 8;
    data.source = { epoch: target - 1, root: bytes(32, 1) };
    data.target = { epoch: target, root: bytes(32, 2) };
    check(
      `ATTESTATION target ${target} in the Deneb state`,
      scheduled,
      {
        type: "ATTESTATION",
        fork_info: forkInfoJson(scheduled, stateSlot),
        attestation: ssz.phase0.AttestationData.toJson(data),
      },
      specSigningRoot(
        ssz.phase0.AttestationData.hashTreeRoot(data),
        config.getDomain(stateSlot, DOMAIN_BEACON_ATTESTER, target * 8),
      ),
    );
  }
}
{
  const slot = 2 * 8 + 3;
  const block = ssz.altair.BeaconBlock.defaultValue();
  block.slot = slot;
  block.proposerIndex = 3;
  block.body.syncAggregate.syncCommitteeBits.set(31, true);
  check(
    "BLOCK_V2 ALTAIR with a 32-bit sync aggregate",
    scheduled,
    {
      type: "BLOCK_V2",
      fork_info: forkInfoJson(scheduled, slot),
      beacon_block: { version: "ALTAIR", block: ssz.altair.BeaconBlock.toJson(block) },
    },
    specSigningRoot(ssz.altair.BeaconBlock.hashTreeRoot(block), config.getDomain(slot, DOMAIN_BEACON_PROPOSER, slot)),
  );
}
{
  const slot = 10 * 8;
  const block = ssz.electra.BeaconBlock.defaultValue();
  block.slot = slot;
  const header = {
    slot,
    proposerIndex: 0,
    parentRoot: block.parentRoot,
    stateRoot: block.stateRoot,
    bodyRoot: ssz.electra.BeaconBlockBody.hashTreeRoot(block.body),
  };
  check(
    "BLOCK_V2 ELECTRA header at the first Electra slot",
    scheduled,
    {
      type: "BLOCK_V2",
      fork_info: forkInfoJson(scheduled, slot),
      beacon_block: { version: "ELECTRA", block_header: ssz.phase0.BeaconBlockHeader.toJson(header) },
    },
    specSigningRoot(
      ssz.electra.BeaconBlock.hashTreeRoot(block),
      config.getDomain(slot, DOMAIN_BEACON_PROPOSER, slot),
    ),
  );
}
{
  const slot = 12 * 8 + 2;
  const aap = ssz.electra.AggregateAndProof.defaultValue();
  aap.aggregate.data.slot = slot;
  aap.aggregate.aggregationBits = ssz.electra.Attestation.fields.aggregationBits.fromJson("0x0f01");
  aap.aggregate.committeeBits.set(3, true);
  check(
    "AGGREGATE_AND_PROOF_V2 FULU with 4 committee bits",
    scheduled,
    {
      type: "AGGREGATE_AND_PROOF_V2",
      fork_info: forkInfoJson(scheduled, slot),
      aggregate_and_proof: { version: "FULU", data: ssz.electra.AggregateAndProof.toJson(aap) },
    },
    specSigningRoot(
      ssz.electra.AggregateAndProof.hashTreeRoot(aap),
      config.getDomain(slot, DOMAIN_AGGREGATE_AND_PROOF, slot),
    ),
  );
}
{
  const slot = 6 * 8 - 1;
  const cap = ssz.altair.ContributionAndProof.defaultValue();
  cap.contribution.slot = slot;
  cap.contribution.aggregationBits.set(7, true);
  check(
    "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF with 8 aggregation bits",
    scheduled,
    {
      type: "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF",
      fork_info: forkInfoJson(scheduled, slot),
      contribution_and_proof: ssz.altair.ContributionAndProof.toJson(cap),
    },
    specSigningRoot(
      ssz.altair.ContributionAndProof.hashTreeRoot(cap),
      config.getDomain(slot, DOMAIN_CONTRIBUTION_AND_PROOF, slot),
    ),
  );
}
{
  const slot = 8 * 8 - 1;
  const root = bytes(32, 9);
  check(
    "SYNC_COMMITTEE_MESSAGE in the last Capella slot",
    scheduled,
    {
      type: "SYNC_COMMITTEE_MESSAGE",
      fork_info: forkInfoJson(scheduled, slot),
      sync_committee_message: { beacon_block_root: hex(root), slot: String(slot) },
    },
    specSigningRoot(root, config.getDomain(slot, DOMAIN_SYNC_COMMITTEE, slot)),
  );
}
{
  const stateSlot = 9 * 8;
  check(
    "VOLUNTARY_EXIT after Deneb uses Capella",
    scheduled,
    {
      type: "VOLUNTARY_EXIT",
      fork_info: forkInfoJson(scheduled, stateSlot),
      voluntary_exit: { epoch: "9", validator_index: "1" },
    },
    specSigningRoot(
      ssz.phase0.VoluntaryExit.hashTreeRoot({ epoch: 9, validatorIndex: 1 }),
      config.getDomainForVoluntaryExit(stateSlot),
    ),
  );
}
// Web3Signer's own SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF example is minimal-shaped (8-bit bits).
{
  const w3sGvr = "0x04700007fabc8282644aed6d1c7c9e21d38a03a0c4ba193f3afe428824b3a673";
  check(
    "Web3Signer SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF example",
    resolveNetwork("minimal", w3sGvr),
    {
      type: "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF",
      fork_info: {
        fork: { previous_version: "0x00000001", current_version: "0x00000001", epoch: "1" },
        genesis_validators_root: w3sGvr,
      },
      contribution_and_proof: {
        aggregator_index: "11",
        selection_proof:
          "0x8f5c34de9e22ceaa7e8d165fc0553b32f02188539e89e2cc91e2eb9077645986550d872ee3403204ae5d554eae3cac12124e18d2324bccc814775316aaef352abc0450812b3ca9fde96ecafa911b3b8bfddca8db4027f08e29c22a9c370ad933",
        contribution: {
          slot: "0",
          beacon_block_root: "0x235bc3400c2839fd856a524871200bd5e362db615fc4565e1870ed9a2a936464",
          subcommittee_index: "1",
          aggregation_bits: "0x24",
          signature:
            "0x9005ed0936f527d416609285b355fe6b9610d730c18b9d2f4942ba7d0eb95ba304ff46b6a2fb86f0c756bf09274db8e11399b7642f9fc5ae50b5bd9c1d87654277a19bfc3df78d36da16f44a48630d9550774a4ca9f3a5b55bbf33345ad2ec71",
        },
      },
    },
    "0xae94702468b584a3b1c422bc1b39cc523d9175ba3b9ac1cccb699c00507cc1a5",
  );
}

process.stdout.write(JSON.stringify(results));

import {
  DOMAIN_AGGREGATE_AND_PROOF,
  DOMAIN_APPLICATION_BUILDER,
  DOMAIN_BEACON_ATTESTER,
  DOMAIN_BEACON_BUILDER,
  DOMAIN_BEACON_PROPOSER,
  DOMAIN_BUILDER_REQUEST_AUTH,
  DOMAIN_CONTRIBUTION_AND_PROOF,
  DOMAIN_DEPOSIT,
  DOMAIN_PROPOSER_PREFERENCES,
  DOMAIN_PTC_ATTESTER,
  DOMAIN_RANDAO,
  DOMAIN_SELECTION_PROOF,
  DOMAIN_SYNC_COMMITTEE,
  DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
  DOMAIN_VOLUNTARY_EXIT,
  ForkSeq,
} from "@lodestar/params";
import { ssz } from "@lodestar/types";
import type { Network } from "../config/networks.js";
import { computeDomain, isScheduledForkVersion, networkForkVersionAt, signingRootOf, ZERO_ROOT } from "./domain.js";
import { BadRequestError, SigningRootMismatchError, UnknownForkError, WrongNetworkError } from "./errors.js";
import { voluntaryExitForkVersion } from "./exit-fork.js";
import { bytesEqual, toHex } from "../util/hex.js";
import { assertProcessPreset, slotsPerEpoch } from "./preset.js";
import { REQUEST_TYPES } from "./request-types.js";
import type { AggregateAndProofAnyFork, ForkInfo, ProtectionFacts, SigningRequest, SigningRootResult } from "./types.js";

/**
 * Computes the signing root of a request for `network` from the typed request alone (never from the
 * client's signingRoot), plus the facts slashing protection must check for blocks and attestations.
 * Throws WrongNetworkError for another chain's fork_info, SigningRootMismatchError when the client's
 * signingRoot differs, PresetMismatchError when preset-shaped types cannot be hashed correctly here.
 */
export function computeSigningRoot(network: Network, request: SigningRequest): SigningRootResult {
  if ("forkInfo" in request) assertSameNetwork(network, request.forkInfo);
  const { objectRoot, domain, protection } = signingInput(network, request);
  // The table says which record a type is protected by; a case that disagrees is our bug, and
  // signing it unprotected (or protected as the wrong kind) is not an option.
  if ((protection?.kind ?? null) !== REQUEST_TYPES[request.type].recorded) {
    throw new Error(`${request.type}: protection ${protection?.kind ?? "none"} differs from the request-type table`);
  }
  const signingRoot = signingRootOf(objectRoot, domain);
  if (request.signingRoot !== undefined && !bytesEqual(request.signingRoot, signingRoot)) {
    throw new SigningRootMismatchError(toHex(signingRoot), toHex(request.signingRoot));
  }
  return { signingRoot, domain, protection };
}

interface Described {
  objectRoot: Uint8Array;
  domain: Uint8Array;
  protection: ProtectionFacts | null;
}

function signingInput(network: Network, request: SigningRequest): Described {
  const spe = slotsPerEpoch(network);
  const epochOf = (slot: number): number => Math.floor(slot / spe);
  // Signing-root recomputation (docs/SAFETY.md): the fork version comes from the configured network's schedule at the message's
  // epoch, never from the client. A client that used another version gets a root mismatch.
  const onChain = (forkInfo: ForkInfo, domainType: Uint8Array, epoch: number): Uint8Array =>
    computeDomain(domainType, networkForkVersionAt(network, epoch), forkInfo.genesisValidatorsRoot);

  switch (request.type) {
    case "BLOCK": {
      assertProcessPreset(network);
      const root = ssz.phase0.BeaconBlock.hashTreeRoot(request.block);
      return proposal(request.forkInfo, root, request.block.slot, "block.slot");
    }
    case "BLOCK_V2": {
      const b = request.beaconBlock;
      switch (b.version) {
        case "PHASE0": {
          assertProcessPreset(network);
          const root = ssz.phase0.BeaconBlock.hashTreeRoot(b.block);
          return proposal(request.forkInfo, root, b.block.slot, "beacon_block.block.slot");
        }
        case "ALTAIR": {
          assertProcessPreset(network);
          const root = ssz.altair.BeaconBlock.hashTreeRoot(b.block);
          return proposal(request.forkInfo, root, b.block.slot, "beacon_block.block.slot");
        }
        default: {
          const path = "beacon_block.block_header.slot";
          if (b.version === "GLOAS") assertGloasAt(b.blockHeader.slot, path);
          // The header's root equals the full block's root (body replaced by its root).
          const root = ssz.phase0.BeaconBlockHeader.hashTreeRoot(b.blockHeader);
          return proposal(request.forkInfo, root, b.blockHeader.slot, path);
        }
      }
    }
    case "ATTESTATION": {
      const data = request.attestation;
      const sourceEpoch = safe(data.source.epoch, "attestation.source.epoch");
      const targetEpoch = safe(data.target.epoch, "attestation.target.epoch");
      return {
        objectRoot: ssz.phase0.AttestationData.hashTreeRoot(data),
        domain: onChain(request.forkInfo, DOMAIN_BEACON_ATTESTER, targetEpoch),
        protection: { kind: "attestation", sourceEpoch, targetEpoch },
      };
    }
    case "AGGREGATION_SLOT": {
      const { slot } = request.aggregationSlot;
      const domain = onChain(request.forkInfo, DOMAIN_SELECTION_PROOF, epochOf(slot));
      return plain(ssz.Slot.hashTreeRoot(slot), domain);
    }
    case "AGGREGATE_AND_PROOF": {
      assertProcessPreset(network);
      const slot = request.aggregateAndProof.data.aggregate.data.slot;
      const domain = onChain(request.forkInfo, DOMAIN_AGGREGATE_AND_PROOF, epochOf(slot));
      return plain(aggregateRootAtFork(network, request.aggregateAndProof), domain);
    }
    case "AGGREGATE_AND_PROOF_V2": {
      assertProcessPreset(network);
      const v2 = request.aggregateAndProof;
      const slot = v2.data.aggregate.data.slot;
      let root: Uint8Array;
      switch (v2.version) {
        case "ELECTRA":
        case "FULU":
          root = ssz.electra.AggregateAndProof.hashTreeRoot(v2.data);
          break;
        case "GLOAS":
          assertGloasAt(slot, "aggregate_and_proof.data.aggregate.data.slot");
          root = ssz.gloas.AggregateAndProof.hashTreeRoot(v2.data);
          break;
        default:
          root = ssz.phase0.AggregateAndProof.hashTreeRoot(v2.data);
      }
      const domain = onChain(request.forkInfo, DOMAIN_AGGREGATE_AND_PROOF, epochOf(slot));
      return plain(root, domain);
    }
    case "RANDAO_REVEAL": {
      const { epoch } = request.randaoReveal;
      return plain(ssz.Epoch.hashTreeRoot(epoch), onChain(request.forkInfo, DOMAIN_RANDAO, epoch));
    }
    case "VOLUNTARY_EXIT": {
      const exit = request.voluntaryExit;
      const version = voluntaryExitForkVersion(network, request.forkInfo, exit.epoch);
      const gvr = request.forkInfo.genesisValidatorsRoot;
      const domain = computeDomain(DOMAIN_VOLUNTARY_EXIT, version, gvr);
      return plain(ssz.phase0.VoluntaryExit.hashTreeRoot(exit), domain);
    }
    case "DEPOSIT": {
      const { pubkey, withdrawalCredentials, amount, genesisForkVersion } = request.deposit;
      // Deposits are verified by the deposit contract flow before genesis exists: no chain root.
      const domain = computeDomain(DOMAIN_DEPOSIT, genesisForkVersion, ZERO_ROOT);
      const message = { pubkey, withdrawalCredentials, amount };
      return plain(ssz.phase0.DepositMessage.hashTreeRoot(message), domain);
    }
    case "SYNC_COMMITTEE_MESSAGE": {
      const { beaconBlockRoot, slot } = request.syncCommitteeMessage;
      const domain = onChain(request.forkInfo, DOMAIN_SYNC_COMMITTEE, epochOf(slot));
      return plain(ssz.Root.hashTreeRoot(beaconBlockRoot), domain);
    }
    case "SYNC_COMMITTEE_SELECTION_PROOF": {
      const data = request.syncAggregatorSelectionData;
      const domainType = DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF;
      const domain = onChain(request.forkInfo, domainType, epochOf(data.slot));
      return plain(ssz.altair.SyncAggregatorSelectionData.hashTreeRoot(data), domain);
    }
    case "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF": {
      assertProcessPreset(network);
      const cap = request.contributionAndProof;
      const slot = cap.contribution.slot;
      const domain = onChain(request.forkInfo, DOMAIN_CONTRIBUTION_AND_PROOF, epochOf(slot));
      return plain(ssz.altair.ContributionAndProof.hashTreeRoot(cap), domain);
    }
    case "VALIDATOR_REGISTRATION": {
      // Builder API: the domain is fixed to the genesis fork version with a zero root, so that one
      // registration is valid across forks.
      const version = network.config.GENESIS_FORK_VERSION;
      const domain = computeDomain(DOMAIN_APPLICATION_BUILDER, version, ZERO_ROOT);
      const registration = request.validatorRegistration;
      return plain(ssz.bellatrix.ValidatorRegistrationV1.hashTreeRoot(registration), domain);
    }
    // Gloas (EIP-7732). None of these is slashable: the spec has no slashing or penalty for a
    // second bid, envelope, PTC vote or preferences message (the rows of REQUEST_TYPES say why).
    case "EXECUTION_PAYLOAD_BID": {
      assertProcessPreset(network);
      const bid = request.executionPayloadBid.data;
      assertGloasAt(bid.slot, "execution_payload_bid.data.slot");
      const domain = onChain(request.forkInfo, DOMAIN_BEACON_BUILDER, epochOf(bid.slot));
      return plain(ssz.gloas.ExecutionPayloadBid.hashTreeRoot(bid), domain);
    }
    case "EXECUTION_PAYLOAD_ENVELOPE": {
      assertProcessPreset(network);
      const envelope = request.executionPayloadEnvelope.data;
      // The spec signs at the state's slot, which the payload carries (EIP-7843 slot_number).
      const slot = envelope.payload.slotNumber;
      assertGloasAt(slot, "execution_payload_envelope.data.payload.slot_number");
      const domain = onChain(request.forkInfo, DOMAIN_BEACON_BUILDER, epochOf(slot));
      return plain(ssz.gloas.ExecutionPayloadEnvelope.hashTreeRoot(envelope), domain);
    }
    case "PAYLOAD_ATTESTATION_MESSAGE": {
      const data = request.payloadAttestationMessage.data;
      assertGloasAt(data.slot, "payload_attestation_message.data.slot");
      const domain = onChain(request.forkInfo, DOMAIN_PTC_ATTESTER, epochOf(data.slot));
      return plain(ssz.gloas.PayloadAttestationData.hashTreeRoot(data), domain);
    }
    case "PROPOSER_PREFERENCES": {
      const preferences = request.proposerPreferences.data;
      assertGloasAt(preferences.proposalSlot, "proposer_preferences.data.proposal_slot");
      const domain = onChain(request.forkInfo, DOMAIN_PROPOSER_PREFERENCES, epochOf(preferences.proposalSlot));
      return plain(ssz.gloas.ProposerPreferences.hashTreeRoot(preferences), domain);
    }
    case "BUILDER_REQUEST_AUTH": {
      // builder-specs: like a validator registration, one fixed domain across forks and chains.
      const auth = request.builderRequestAuth.data;
      assertGloasAt(auth.slot, "builder_request_auth.data.slot");
      const domain = computeDomain(DOMAIN_BUILDER_REQUEST_AUTH, network.config.GENESIS_FORK_VERSION, ZERO_ROOT);
      return plain(ssz.gloas.BuilderRequestAuth.hashTreeRoot(auth), domain);
    }
  }

  /** Gloas types exist only from the Gloas fork of a network that schedules it. */
  function assertGloasAt(slot: number, path: string): void {
    const forkEpoch = network.config.GLOAS_FORK_EPOCH;
    if (!Number.isFinite(forkEpoch)) {
      throw new BadRequestError(path, `network ${network.name} has not scheduled the Gloas fork (GLOAS_FORK_EPOCH)`);
    }
    if (epochOf(slot) < forkEpoch) {
      throw new BadRequestError(path, `slot ${slot} (epoch ${epochOf(slot)}) is before the Gloas fork at epoch ${forkEpoch} on network ${network.name}`);
    }
  }

  function proposal(forkInfo: ForkInfo, objectRoot: Uint8Array, rawSlot: number, path: string): Described {
    const slot = safe(rawSlot, path);
    return {
      objectRoot,
      domain: onChain(forkInfo, DOMAIN_BEACON_PROPOSER, epochOf(slot)),
      protection: { kind: "block", slot },
    };
  }
}

/**
 * The root of an unversioned AGGREGATE_AND_PROOF with the schema of the fork of its slot on this
 * network: phase0 before Electra, Electra's (committee_bits) in Electra and Fulu, Gloas's after.
 */
function aggregateRootAtFork(network: Network, aap: AggregateAndProofAnyFork): Uint8Array {
  const slot = aap.data.aggregate.data.slot;
  const fork = network.config.getForkInfo(slot);
  const where = `slot ${slot} is in ${fork.name.toUpperCase()} on network ${network.name}`;
  const path = "aggregate_and_proof.aggregate.committee_bits";
  if (fork.seq < ForkSeq.electra) {
    if (aap.schema !== "phase0") throw new BadRequestError(path, `present, but ${where}, whose aggregates have none`);
    return ssz.phase0.AggregateAndProof.hashTreeRoot(aap.data);
  }
  if (aap.schema !== "electra") throw new BadRequestError(path, `missing: ${where}, whose aggregates carry committee_bits (EIP-7549)`);
  if (fork.seq < ForkSeq.gloas) return ssz.electra.AggregateAndProof.hashTreeRoot(aap.data);
  if (fork.seq === ForkSeq.gloas) return ssz.gloas.AggregateAndProof.hashTreeRoot(aap.data);
  throw new UnknownForkError(`aggregate_and_proof: ${where}, a fork this version of Bulwark cannot sign aggregates for`);
}

function plain(objectRoot: Uint8Array, domain: Uint8Array): Described {
  return { objectRoot, domain, protection: null };
}

/** Slashing protection compares these as JS numbers, so they must be exact. */
function safe(value: number, path: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new BadRequestError(path, `value above ${Number.MAX_SAFE_INTEGER} is not supported`);
  }
  return value;
}

/**
 * What assertSameNetwork compares against, computed once per network: the root's bytes and the
 * scheduled fork versions as 32-bit numbers (hex-encoding both sides for every request cost more
 * than hashing the attestation).
 */
interface NetworkIdentity {
  genesisValidatorsRoot: Buffer;
  scheduledVersions: ReadonlySet<number>;
}

const IDENTITIES = new WeakMap<Network, NetworkIdentity>();

const versionNumber = (version: Uint8Array): number =>
  version.length === 4 ? ((version[0]! << 24) | (version[1]! << 16) | (version[2]! << 8) | version[3]!) >>> 0 : -1;

function identityOf(network: Network): NetworkIdentity {
  let identity = IDENTITIES.get(network);
  if (identity === undefined) {
    const versions = network.config.forksAscendingEpochOrder.filter((fork) => isScheduledForkVersion(network, fork.version)).map((fork) => versionNumber(fork.version));
    identity = { genesisValidatorsRoot: Buffer.from(network.genesisValidatorsRoot.slice(2), "hex"), scheduledVersions: new Set(versions) };
    IDENTITIES.set(network, identity);
  }
  return identity;
}

function assertSameNetwork(network: Network, forkInfo: ForkInfo): void {
  const identity = identityOf(network);
  if (!identity.genesisValidatorsRoot.equals(forkInfo.genesisValidatorsRoot)) {
    throw new WrongNetworkError(network.genesisValidatorsRoot.toLowerCase(), toHex(forkInfo.genesisValidatorsRoot));
  }
  // A fork this network never had means a client configured for another chain or a fork we do not
  // know yet (upgrade Bulwark); either way its signatures would not be what it expects.
  for (const [field, version] of [
    ["current_version", forkInfo.fork.currentVersion],
    ["previous_version", forkInfo.fork.previousVersion],
  ] as const) {
    if (!identity.scheduledVersions.has(versionNumber(version))) {
      throw new UnknownForkError(`fork_info.fork.${field}: ${toHex(version)} is not a fork version scheduled on network ${network.name}`);
    }
  }
}

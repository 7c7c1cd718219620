import { ssz } from "@lodestar/types";
import { BadRequestError } from "./errors.js";
import { parseForkInfo } from "./fork-info.js";
import { parseHexBytes } from "./hex.js";
import { type JsonObject, expectObject, field, joinPath } from "./json-fields.js";
import { decodeSsz } from "./ssz-json.js";
import {
  type AggregateAndProofV2,
  type BeaconBlockV2,
  type DepositRequestData,
  FORK_VERSIONS,
  type ForkVersionName,
  SIGNING_REQUEST_TYPES,
  type SigningRequest,
  type SigningRequestType,
} from "./types.js";

/**
 * Validates the JSON body of `POST /api/v1/eth2/sign/{pubkey}` (already JSON-parsed) and decodes
 * it into a typed request. Throws BadRequestError naming the offending field.
 */
export function parseSigningRequest(body: unknown): SigningRequest {
  const obj = expectObject(body, "");
  const type = parseType(field(obj, "type", ""));
  const signingRoot = parseSigningRoot(obj);
  const checked = signingRoot === undefined ? {} : { signingRoot };
  switch (type) {
    case "DEPOSIT":
      return { type, ...checked, deposit: parseDeposit(obj) };
    case "VALIDATOR_REGISTRATION":
      return {
        type,
        ...checked,
        validatorRegistration: payload(obj, "validator_registration", ssz.bellatrix.ValidatorRegistrationV1),
      };
  }
  const onChain = { ...checked, forkInfo: parseForkInfo(obj) };
  switch (type) {
    case "BLOCK":
      return { type, ...onChain, block: payload(obj, "block", ssz.phase0.BeaconBlock) };
    case "BLOCK_V2":
      return { type, ...onChain, beaconBlock: parseBeaconBlockV2(obj) };
    case "ATTESTATION":
      return { type, ...onChain, attestation: payload(obj, "attestation", ssz.phase0.AttestationData) };
    case "AGGREGATION_SLOT": {
      const slot = subfield(obj, "aggregation_slot", "slot");
      return { type, ...onChain, aggregationSlot: { slot: decodeSsz(ssz.Slot, slot.value, slot.path) } };
    }
    case "AGGREGATE_AND_PROOF":
      return {
        type,
        ...onChain,
        aggregateAndProof: payload(obj, "aggregate_and_proof", ssz.phase0.AggregateAndProof),
      };
    case "AGGREGATE_AND_PROOF_V2":
      return { type, ...onChain, aggregateAndProof: parseAggregateAndProofV2(obj) };
    case "RANDAO_REVEAL": {
      const epoch = subfield(obj, "randao_reveal", "epoch");
      return { type, ...onChain, randaoReveal: { epoch: decodeSsz(ssz.Epoch, epoch.value, epoch.path) } };
    }
    case "VOLUNTARY_EXIT":
      return { type, ...onChain, voluntaryExit: payload(obj, "voluntary_exit", ssz.phase0.VoluntaryExit) };
    case "SYNC_COMMITTEE_MESSAGE": {
      const root = subfield(obj, "sync_committee_message", "beacon_block_root");
      const slot = subfield(obj, "sync_committee_message", "slot");
      return {
        type,
        ...onChain,
        syncCommitteeMessage: {
          beaconBlockRoot: decodeSsz(ssz.Root, root.value, root.path),
          slot: decodeSsz(ssz.Slot, slot.value, slot.path),
        },
      };
    }
    case "SYNC_COMMITTEE_SELECTION_PROOF":
      return {
        type,
        ...onChain,
        syncAggregatorSelectionData: payload(
          obj,
          "sync_aggregator_selection_data",
          ssz.altair.SyncAggregatorSelectionData,
        ),
      };
    case "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF":
      return {
        type,
        ...onChain,
        contributionAndProof: payload(obj, "contribution_and_proof", ssz.altair.ContributionAndProof),
      };
  }
}

function parseType(value: unknown): SigningRequestType {
  const upper = typeof value === "string" ? value.toUpperCase() : undefined;
  const found = SIGNING_REQUEST_TYPES.find((t) => t === upper);
  if (found === undefined) {
    throw new BadRequestError("type", `expected one of ${SIGNING_REQUEST_TYPES.join(", ")}`);
  }
  return found;
}

/** `signingRoot` in Web3Signer's spec, `signing_root` from some clients; both optional. */
function parseSigningRoot(obj: JsonObject): Uint8Array | undefined {
  const roots = (["signing_root", "signingRoot"] as const)
    .filter((key) => obj[key] !== undefined && obj[key] !== null)
    .map((key) => parseHexBytes(obj[key], 32, key));
  if (roots.length === 2 && !Buffer.from(roots[0]).equals(roots[1])) {
    throw new BadRequestError("signingRoot", "differs from signing_root");
  }
  return roots[0];
}

function parseVersion<V extends ForkVersionName>(value: unknown, path: string, allowed: readonly V[]): V {
  const upper = typeof value === "string" ? value.toUpperCase() : undefined;
  const found = allowed.find((v) => v === upper);
  if (found === undefined) throw new BadRequestError(path, `expected one of ${allowed.join(", ")}`);
  return found;
}

function payload<T>(obj: JsonObject, key: string, type: { fromJson(json: unknown): T }): T {
  return decodeSsz(type, field(obj, key, ""), key);
}

function subfield(obj: JsonObject, key: string, sub: string): { value: unknown; path: string } {
  const container = expectObject(field(obj, key, ""), key);
  return { value: field(container, sub, key), path: joinPath(key, sub) };
}

function parseBeaconBlockV2(obj: JsonObject): BeaconBlockV2 {
  const wrapper = expectObject(field(obj, "beacon_block", ""), "beacon_block");
  const version = parseVersion(
    field(wrapper, "version", "beacon_block"),
    "beacon_block.version",
    FORK_VERSIONS,
  );
  const inner = (key: string): unknown => field(wrapper, key, "beacon_block");
  switch (version) {
    case "PHASE0":
      return { version, block: decodeSsz(ssz.phase0.BeaconBlock, inner("block"), "beacon_block.block") };
    case "ALTAIR":
      return { version, block: decodeSsz(ssz.altair.BeaconBlock, inner("block"), "beacon_block.block") };
    default: {
      const header = inner("block_header");
      return {
        version,
        blockHeader: decodeSsz(ssz.phase0.BeaconBlockHeader, header, "beacon_block.block_header"),
      };
    }
  }
}

function parseAggregateAndProofV2(obj: JsonObject): AggregateAndProofV2 {
  const wrapper = expectObject(field(obj, "aggregate_and_proof", ""), "aggregate_and_proof");
  const version = parseVersion(
    field(wrapper, "version", "aggregate_and_proof"),
    "aggregate_and_proof.version",
    FORK_VERSIONS,
  );
  const data = field(wrapper, "data", "aggregate_and_proof");
  const path = "aggregate_and_proof.data";
  switch (version) {
    case "ELECTRA":
    case "FULU":
      return { version, data: decodeSsz(ssz.electra.AggregateAndProof, data, path) };
    default:
      return { version, data: decodeSsz(ssz.phase0.AggregateAndProof, data, path) };
  }
}

function parseDeposit(obj: JsonObject): DepositRequestData {
  const deposit = expectObject(field(obj, "deposit", ""), "deposit");
  const message = decodeSsz(ssz.phase0.DepositMessage, deposit, "deposit");
  const version = field(deposit, "genesis_fork_version", "deposit");
  return { ...message, genesisForkVersion: parseHexBytes(version, 4, "deposit.genesis_fork_version") };
}

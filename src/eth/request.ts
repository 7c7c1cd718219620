import { type gloas, ssz } from "@lodestar/types";
import { BadRequestError } from "./errors.js";
import { parseForkInfo } from "./fork-info.js";
import { parseHexBytes } from "./hex.js";
import { type JsonObject, expectObject, field, joinPath, optionalField } from "./json-fields.js";
import { decodeSsz } from "./ssz-json.js";
import { REQUEST_TYPES, SIGNING_REQUEST_TYPES, signingRequestType } from "./request-types.js";
import {
  type AggregateAndProofAnyFork,
  type AggregateAndProofV2,
  type BeaconBlockV2,
  type DepositRequestData,
  FORK_VERSIONS,
  type ForkVersionName,
  GLOAS_VERSIONS,
  type GloasVersioned,
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
  const key = REQUEST_TYPES[type].bodyKey;
  const signingRoot = parseSigningRoot(obj);
  const checked = signingRoot === undefined ? {} : { signingRoot };
  switch (type) {
    case "DEPOSIT":
      return { type, ...checked, deposit: parseDeposit(obj, key) };
    case "VALIDATOR_REGISTRATION":
      return { type, ...checked, validatorRegistration: payload(obj, key, ssz.bellatrix.ValidatorRegistrationV1) };
    case "BUILDER_REQUEST_AUTH":
      return { type, ...checked, builderRequestAuth: parseBuilderRequestAuth(obj, key) };
  }
  const onChain = { ...checked, forkInfo: parseForkInfo(obj) };
  switch (type) {
    case "BLOCK":
      return { type, ...onChain, block: payload(obj, key, ssz.phase0.BeaconBlock) };
    case "BLOCK_V2":
      return { type, ...onChain, beaconBlock: parseBeaconBlockV2(obj, key) };
    case "ATTESTATION":
      return { type, ...onChain, attestation: payload(obj, key, ssz.phase0.AttestationData) };
    case "AGGREGATION_SLOT": {
      const slot = subfield(obj, key, "slot");
      return { type, ...onChain, aggregationSlot: { slot: decodeSsz(ssz.Slot, slot.value, slot.path) } };
    }
    case "AGGREGATE_AND_PROOF":
      return { type, ...onChain, aggregateAndProof: parseAggregateAndProofAnyFork(obj, key) };
    case "AGGREGATE_AND_PROOF_V2":
      return { type, ...onChain, aggregateAndProof: parseAggregateAndProofV2(obj, key) };
    case "RANDAO_REVEAL": {
      const epoch = subfield(obj, key, "epoch");
      return { type, ...onChain, randaoReveal: { epoch: decodeSsz(ssz.Epoch, epoch.value, epoch.path) } };
    }
    case "VOLUNTARY_EXIT":
      return { type, ...onChain, voluntaryExit: payload(obj, key, ssz.phase0.VoluntaryExit) };
    case "SYNC_COMMITTEE_MESSAGE": {
      const root = subfield(obj, key, "beacon_block_root");
      const slot = subfield(obj, key, "slot");
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
        syncAggregatorSelectionData: payload(obj, key, ssz.altair.SyncAggregatorSelectionData),
      };
    case "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF":
      return { type, ...onChain, contributionAndProof: payload(obj, key, ssz.altair.ContributionAndProof) };
    case "EXECUTION_PAYLOAD_BID":
      return { type, ...onChain, executionPayloadBid: gloasPayload(obj, key, ssz.gloas.ExecutionPayloadBid) };
    case "EXECUTION_PAYLOAD_ENVELOPE":
      return { type, ...onChain, executionPayloadEnvelope: gloasPayload(obj, key, ssz.gloas.ExecutionPayloadEnvelope) };
    case "PAYLOAD_ATTESTATION_MESSAGE":
      return { type, ...onChain, payloadAttestationMessage: gloasPayload(obj, key, ssz.gloas.PayloadAttestationData) };
    case "PROPOSER_PREFERENCES":
      return { type, ...onChain, proposerPreferences: gloasPayload(obj, key, ssz.gloas.ProposerPreferences) };
  }
}

function parseType(value: unknown): SigningRequestType {
  const found = signingRequestType(value);
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

/** `{version, <inner>}` wrappers (BLOCK_V2, AGGREGATE_AND_PROOF_V2, the Gloas types). */
function versioned<V extends ForkVersionName>(obj: JsonObject, key: string, allowed: readonly V[]) {
  const wrapper = expectObject(field(obj, key, ""), key);
  const version = parseVersion(field(wrapper, "version", key), joinPath(key, "version"), allowed);
  return { version, inner: (name: string) => subfield(obj, key, name) };
}

function parseBeaconBlockV2(obj: JsonObject, key: string): BeaconBlockV2 {
  const { version, inner } = versioned(obj, key, FORK_VERSIONS);
  switch (version) {
    case "PHASE0": {
      const { value, path } = inner("block");
      return { version, block: decodeSsz(ssz.phase0.BeaconBlock, value, path) };
    }
    case "ALTAIR": {
      const { value, path } = inner("block");
      return { version, block: decodeSsz(ssz.altair.BeaconBlock, value, path) };
    }
    default: {
      const { value, path } = inner("block_header");
      return { version, blockHeader: decodeSsz(ssz.phase0.BeaconBlockHeader, value, path) };
    }
  }
}

function parseAggregateAndProofV2(obj: JsonObject, key: string): AggregateAndProofV2 {
  const { version, inner } = versioned(obj, key, FORK_VERSIONS);
  const { value, path } = inner("data");
  switch (version) {
    case "ELECTRA":
    case "FULU":
      return { version, data: decodeSsz(ssz.electra.AggregateAndProof, value, path) };
    case "GLOAS":
      return { version, data: decodeSsz(ssz.gloas.AggregateAndProof, value, path) };
    default:
      return { version, data: decodeSsz(ssz.phase0.AggregateAndProof, value, path) };
  }
}

/**
 * Lighthouse and Teku send every fork's aggregate as unversioned AGGREGATE_AND_PROOF. The Electra
 * shape is the one with committee_bits; computeSigningRoot refuses a shape that is not the one of
 * the fork of the aggregate's slot, so the body is always hashed with its fork's schema.
 */
function parseAggregateAndProofAnyFork(obj: JsonObject, key: string): AggregateAndProofAnyFork {
  const body = field(obj, key, "");
  const aggregate = expectObject(field(expectObject(body, key), "aggregate", key), joinPath(key, "aggregate"));
  if (optionalField(aggregate, "committee_bits") !== undefined) {
    return { schema: "electra", data: decodeSsz(ssz.electra.AggregateAndProof, body, key) };
  }
  return { schema: "phase0", data: decodeSsz(ssz.phase0.AggregateAndProof, body, key) };
}

function gloasPayload<T>(obj: JsonObject, key: string, type: { fromJson(json: unknown): T }): GloasVersioned<T> {
  const { version, inner } = versioned(obj, key, GLOAS_VERSIONS);
  const { value, path } = inner("data");
  return { version, data: decodeSsz(type, value, path) };
}

function parseBuilderRequestAuth(obj: JsonObject, key: string): GloasVersioned<gloas.BuilderRequestAuth> {
  const auth = gloasPayload(obj, key, ssz.gloas.BuilderRequestAuth);
  // builder-specs: zero-length auth data is invalid, so it must not be signed.
  if (auth.data.data.length === 0) throw new BadRequestError(joinPath(key, "data.data"), "must not be empty");
  return auth;
}

function parseDeposit(obj: JsonObject, key: string): DepositRequestData {
  const deposit = expectObject(field(obj, key, ""), key);
  const message = decodeSsz(ssz.phase0.DepositMessage, deposit, key, ["genesis_fork_version", "genesisForkVersion"]);
  const version = field(deposit, "genesis_fork_version", key);
  return { ...message, genesisForkVersion: parseHexBytes(version, 4, joinPath(key, "genesis_fork_version")) };
}

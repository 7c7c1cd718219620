import type { altair, bellatrix, electra, gloas, phase0 } from "@lodestar/types";

/** The signing context a client sends: the beacon state's fork and the chain it belongs to. */
export interface ForkInfo {
  fork: {
    previousVersion: Uint8Array;
    currentVersion: Uint8Array;
    /** Epoch from which currentVersion applies. */
    epoch: number;
  };
  genesisValidatorsRoot: Uint8Array;
}

export const FORK_VERSIONS = [
  "PHASE0",
  "ALTAIR",
  "BELLATRIX",
  "CAPELLA",
  "DENEB",
  "ELECTRA",
  "FULU",
  "GLOAS",
] as const;
export type ForkVersionName = (typeof FORK_VERSIONS)[number];

/** Forks whose aggregates carry committee_bits (EIP-7549). */
export const COMMITTEE_BITS_VERSIONS = ["ELECTRA", "FULU", "GLOAS"] as const satisfies readonly ForkVersionName[];
export type CommitteeBitsVersion = (typeof COMMITTEE_BITS_VERSIONS)[number];

/** Forks in which the ePBS (EIP-7732) signing types exist. */
export const GLOAS_VERSIONS = ["GLOAS"] as const satisfies readonly ForkVersionName[];
export type GloasVersion = (typeof GLOAS_VERSIONS)[number];

/** Forks for which Web3Signer sends only the block header (the body root stands in for the body). */
export type HeaderOnlyVersion = Exclude<ForkVersionName, "PHASE0" | "ALTAIR">;

export type BeaconBlockV2 =
  | { version: "PHASE0"; block: phase0.BeaconBlock }
  | { version: "ALTAIR"; block: altair.BeaconBlock }
  | { version: HeaderOnlyVersion; blockHeader: phase0.BeaconBlockHeader };

export type AggregateAndProofV2 =
  | { version: Exclude<ForkVersionName, CommitteeBitsVersion>; data: phase0.AggregateAndProof }
  | { version: Exclude<CommitteeBitsVersion, "GLOAS">; data: electra.AggregateAndProof }
  | { version: "GLOAS"; data: gloas.AggregateAndProof };

/**
 * An unversioned AGGREGATE_AND_PROOF (what Lighthouse and Teku send for every fork): the schema is
 * recognised by `committee_bits` and must be the one of the fork of the aggregate's slot, which
 * computeSigningRoot checks against the network's schedule.
 */
export type AggregateAndProofAnyFork =
  | { schema: "phase0"; data: phase0.AggregateAndProof }
  | { schema: "electra"; data: electra.AggregateAndProof };

/** A Gloas signing payload as remote-signing-api v1.4.0 wraps it: `{version, data}`. */
export interface GloasVersioned<T> {
  version: GloasVersion;
  data: T;
}

/** DepositMessage plus the fork version the deposit domain is computed from. */
export interface DepositRequestData extends phase0.DepositMessage {
  genesisForkVersion: Uint8Array;
}

export interface SyncCommitteeMessageData {
  beaconBlockRoot: Uint8Array;
  slot: number;
}

interface Checked {
  /** Signing root the client expects; refused if it differs from the computed one. */
  signingRoot?: Uint8Array;
}
interface OnChain extends Checked {
  forkInfo: ForkInfo;
}

/** A validated `POST /api/v1/eth2/sign/{pubkey}` body, one variant per Web3Signer `type`. */
export type SigningRequest =
  | (OnChain & { type: "BLOCK"; block: phase0.BeaconBlock })
  | (OnChain & { type: "BLOCK_V2"; beaconBlock: BeaconBlockV2 })
  | (OnChain & { type: "ATTESTATION"; attestation: phase0.AttestationData })
  | (OnChain & { type: "AGGREGATION_SLOT"; aggregationSlot: { slot: number } })
  | (OnChain & { type: "AGGREGATE_AND_PROOF"; aggregateAndProof: AggregateAndProofAnyFork })
  | (OnChain & { type: "AGGREGATE_AND_PROOF_V2"; aggregateAndProof: AggregateAndProofV2 })
  | (OnChain & { type: "RANDAO_REVEAL"; randaoReveal: { epoch: number } })
  | (OnChain & { type: "VOLUNTARY_EXIT"; voluntaryExit: phase0.VoluntaryExit })
  | (Checked & { type: "DEPOSIT"; deposit: DepositRequestData })
  | (OnChain & { type: "SYNC_COMMITTEE_MESSAGE"; syncCommitteeMessage: SyncCommitteeMessageData })
  | (OnChain & {
      type: "SYNC_COMMITTEE_SELECTION_PROOF";
      syncAggregatorSelectionData: altair.SyncAggregatorSelectionData;
    })
  | (OnChain & {
      type: "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF";
      contributionAndProof: altair.ContributionAndProof;
    })
  | (Checked & {
      type: "VALIDATOR_REGISTRATION";
      validatorRegistration: bellatrix.ValidatorRegistrationV1;
    })
  | (OnChain & { type: "EXECUTION_PAYLOAD_BID"; executionPayloadBid: GloasVersioned<gloas.ExecutionPayloadBid> })
  | (OnChain & {
      type: "EXECUTION_PAYLOAD_ENVELOPE";
      executionPayloadEnvelope: GloasVersioned<gloas.ExecutionPayloadEnvelope>;
    })
  | (OnChain & {
      type: "PAYLOAD_ATTESTATION_MESSAGE";
      payloadAttestationMessage: GloasVersioned<gloas.PayloadAttestationData>;
    })
  | (OnChain & { type: "PROPOSER_PREFERENCES"; proposerPreferences: GloasVersioned<gloas.ProposerPreferences> })
  | (Checked & { type: "BUILDER_REQUEST_AUTH"; builderRequestAuth: GloasVersioned<gloas.BuilderRequestAuth> });

export type SigningRequestType = SigningRequest["type"];

/** What slashing protection needs to know about a request; absent for non-slashable types. */
export type ProtectionFacts =
  | { kind: "block"; slot: number }
  | { kind: "attestation"; sourceEpoch: number; targetEpoch: number };

export interface SigningRootResult {
  signingRoot: Uint8Array;
  /** The domain mixed into the signing root (useful for logs and audits). */
  domain: Uint8Array;
  /** Set for the types whose REQUEST_TYPES row records a kind; null for every other type. */
  protection: ProtectionFacts | null;
}

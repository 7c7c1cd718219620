/**
 * The one table of signing request types. The type list, the body key each payload is read from,
 * whether a body carries fork_info, batch eligibility, which slashing-protection record a type is
 * checked against, the metric labels and the README's request-type table all come from here; a
 * new type is one row plus the switch cases the compiler then asks for (request.ts, signing-root.ts).
 * test/eth/request-types.test.ts checks the README table against these rows.
 */
import type { ProtectionFacts, SigningRequestType } from "./types.js";

/** The protection record a type is checked against and written to before signing. */
export type RecordedKind = ProtectionFacts["kind"];

export interface RequestTypeSpec {
  /** The key of the payload in the request body. */
  bodyKey: string;
  /** The body carries fork_info (a chain domain); false for chain-independent domains. */
  forkInfo: boolean;
  /** One body may be signed for many keys (`POST /api/v1/eth2/sign`). */
  batch: boolean;
  /**
   * Which slashing-protection record is checked and durably written before the signature leaves;
   * null for types the protocol does not punish, with the reason in `protection`.
   */
  recorded: RecordedKind | null;
  /** What is signed (README). */
  signs: string;
  /** Why the type is, or is not, slashing-protected (README). */
  protection: string;
}

const NOT_SLASHABLE = "not slashable";

export const REQUEST_TYPES: Record<SigningRequestType, RequestTypeSpec> = {
  BLOCK: {
    bodyKey: "block",
    forkInfo: true,
    batch: false,
    recorded: "block",
    signs: "phase0 `BeaconBlock` (deprecated, use `BLOCK_V2`)",
    protection: "proposer slashing: a second block at a slot is refused",
  },
  BLOCK_V2: {
    bodyKey: "beacon_block",
    forkInfo: true,
    batch: false,
    recorded: "block",
    signs: "`{version, block}` for PHASE0 and ALTAIR, `{version, block_header}` for BELLATRIX to GLOAS",
    protection: "proposer slashing: a second block at a slot is refused (a Gloas block too)",
  },
  ATTESTATION: {
    bodyKey: "attestation",
    forkInfo: true,
    batch: true,
    recorded: "attestation",
    signs: "`AttestationData`",
    protection: "attester slashing: double and surround votes are refused",
  },
  AGGREGATION_SLOT: {
    bodyKey: "aggregation_slot",
    forkInfo: true,
    batch: true,
    recorded: null,
    signs: "the slot (selection proof)",
    protection: NOT_SLASHABLE,
  },
  AGGREGATE_AND_PROOF: {
    bodyKey: "aggregate_and_proof",
    forkInfo: true,
    batch: false,
    recorded: null,
    signs: "`AggregateAndProof` of the fork of the aggregate's slot (`committee_bits` from ELECTRA)",
    protection: `${NOT_SLASHABLE} (the attestations inside were signed and checked as ATTESTATION)`,
  },
  AGGREGATE_AND_PROOF_V2: {
    bodyKey: "aggregate_and_proof",
    forkInfo: true,
    batch: false,
    recorded: null,
    signs: "`{version, data}`: `AggregateAndProof` of PHASE0 to GLOAS",
    protection: `${NOT_SLASHABLE} (as AGGREGATE_AND_PROOF)`,
  },
  RANDAO_REVEAL: {
    bodyKey: "randao_reveal",
    forkInfo: true,
    batch: true,
    recorded: null,
    signs: "the epoch",
    protection: NOT_SLASHABLE,
  },
  VOLUNTARY_EXIT: {
    bodyKey: "voluntary_exit",
    forkInfo: true,
    batch: false,
    recorded: null,
    signs: "`VoluntaryExit` (EIP-7044 Capella domain after Deneb)",
    protection: NOT_SLASHABLE,
  },
  DEPOSIT: {
    bodyKey: "deposit",
    forkInfo: false,
    batch: false,
    recorded: null,
    signs: "`DepositMessage` with `genesis_fork_version`",
    protection: NOT_SLASHABLE,
  },
  SYNC_COMMITTEE_MESSAGE: {
    bodyKey: "sync_committee_message",
    forkInfo: true,
    batch: true,
    recorded: null,
    signs: "the block root",
    protection: `${NOT_SLASHABLE} (no sync committee slashing exists)`,
  },
  SYNC_COMMITTEE_SELECTION_PROOF: {
    bodyKey: "sync_aggregator_selection_data",
    forkInfo: true,
    batch: true,
    recorded: null,
    signs: "`SyncAggregatorSelectionData`",
    protection: NOT_SLASHABLE,
  },
  SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF: {
    bodyKey: "contribution_and_proof",
    forkInfo: true,
    batch: false,
    recorded: null,
    signs: "`ContributionAndProof`",
    protection: NOT_SLASHABLE,
  },
  VALIDATOR_REGISTRATION: {
    bodyKey: "validator_registration",
    forkInfo: false,
    batch: false,
    recorded: null,
    signs: "builder-API `ValidatorRegistrationV1`",
    protection: `${NOT_SLASHABLE} (out of protocol)`,
  },
  EXECUTION_PAYLOAD_BID: {
    bodyKey: "execution_payload_bid",
    forkInfo: true,
    batch: false,
    recorded: null,
    signs: "`{version: GLOAS, data}`: a builder's `ExecutionPayloadBid`",
    protection: `${NOT_SLASHABLE}: no bid slashing exists, a builder may bid many times per slot`,
  },
  EXECUTION_PAYLOAD_ENVELOPE: {
    bodyKey: "execution_payload_envelope",
    forkInfo: true,
    batch: false,
    recorded: null,
    signs: "`{version: GLOAS, data}`: `ExecutionPayloadEnvelope` (builder or self-building proposer)",
    protection: `${NOT_SLASHABLE}: no envelope slashing exists; the block it reveals for is block-protected`,
  },
  PAYLOAD_ATTESTATION_MESSAGE: {
    bodyKey: "payload_attestation_message",
    forkInfo: true,
    batch: false,
    recorded: null,
    signs: "`{version: GLOAS, data}`: the PTC member's `PayloadAttestationData`",
    protection: `${NOT_SLASHABLE}: no PTC slashing exists (gossip keeps the first message per validator and slot)`,
  },
  PROPOSER_PREFERENCES: {
    bodyKey: "proposer_preferences",
    forkInfo: true,
    batch: false,
    recorded: null,
    signs: "`{version: GLOAS, data}`: `ProposerPreferences`",
    protection: `${NOT_SLASHABLE} (gossip only)`,
  },
  BUILDER_REQUEST_AUTH: {
    bodyKey: "builder_request_auth",
    forkInfo: false,
    batch: false,
    recorded: null,
    signs: "`{version: GLOAS, data}`: builder-API `BuilderRequestAuth` (genesis fork version, zero root)",
    protection: `${NOT_SLASHABLE} (out of protocol)`,
  },
};

export const SIGNING_REQUEST_TYPES = Object.keys(REQUEST_TYPES) as readonly SigningRequestType[];

/** Request types one body can ask many keys to sign (the remote-signing-api batch endpoint). */
export const BATCH_TYPES: ReadonlySet<string> = new Set<string>(SIGNING_REQUEST_TYPES.filter((type) => REQUEST_TYPES[type].batch));

/** The type named by `value` (case-insensitive, as clients send it), or undefined. */
export function signingRequestType(value: unknown): SigningRequestType | undefined {
  const upper = typeof value === "string" ? value.toUpperCase() : undefined;
  return SIGNING_REQUEST_TYPES.find((type) => type === upper);
}

/** The metric label of a request body's type: the type itself, or UNKNOWN. */
export function requestTypeLabel(body: unknown): SigningRequestType | "UNKNOWN" {
  return signingRequestType((body as { type?: unknown } | null)?.type) ?? "UNKNOWN";
}

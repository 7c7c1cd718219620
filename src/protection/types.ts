/**
 * Plain data shared by the slashing rules, the stores and the interchange code.
 * Slots and epochs are JavaScript numbers: every value is checked to be a safe integer on the way
 * in, which covers any slot or epoch for billions of years.
 */

/** 0x-prefixed lowercase hex of a 48-byte BLS public key. */
export type Pubkey = string;

/** 0x-prefixed lowercase hex of a 32-byte root. */
export type Root = string;

/** In interchange files an all-zero signing root means the same as no root at all (EIP-3076). */
export const ZERO_ROOT: Root = "0x" + "00".repeat(32);

/**
 * Recorded messages. `signingRoot` is null when the root is unknown (imported without one); such a
 * record conflicts with every other message at its slot or target.
 */
export interface BlockRecord {
  slot: number;
  signingRoot: Root | null;
}

export interface AttestationRecord {
  sourceEpoch: number;
  targetEpoch: number;
  signingRoot: Root | null;
}

export interface BlockRequest {
  kind: "block";
  pubkey: Pubkey;
  slot: number;
  signingRoot: Root;
}

export interface AttestationRequest {
  kind: "attestation";
  pubkey: Pubkey;
  sourceEpoch: number;
  targetEpoch: number;
  signingRoot: Root;
}

export type ProtectionRequest = BlockRequest | AttestationRequest;

/** Why a request is slashable (or unsafe) against the recorded history. */
export type Refusal =
  | { reason: "double-block"; slot: number; existing: BlockRecord }
  | { reason: "block-below-lowest-slot"; slot: number; lowestSlot: number }
  | { reason: "source-after-target"; sourceEpoch: number; targetEpoch: number }
  | { reason: "double-vote"; targetEpoch: number; existing: AttestationRecord }
  | { reason: "surrounds-existing"; existing: AttestationRecord }
  | { reason: "surrounded-by-existing"; existing: AttestationRecord }
  | { reason: "source-below-lowest-source"; sourceEpoch: number; lowestSourceEpoch: number }
  | { reason: "target-at-or-below-lowest-target"; targetEpoch: number; lowestTargetEpoch: number };

export type RefusalReason = Refusal["reason"];

/**
 * The outcome of a check. `record` is false for a harmless repeat of an already recorded message
 * (same slot or epochs and the same known root): it may be signed again and adds nothing.
 * A request's signing root is always the one the signer computed, so it is always known.
 */
export type Decision = { allowed: true; record: boolean } | { allowed: false; refusal: Refusal };

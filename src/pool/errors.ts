/**
 * Refusals of the pool's operator-side and aggregator-side commands (ceremony, join, exits). `code`
 * tells them apart for callers and tests; messages name files, ids and keys, never secrets.
 */
export type PoolErrorCode =
  /** Bad parameters for a ceremony (threshold, operators, amounts, addresses). */
  | "invalid-parameters"
  /** A pool definition that does not parse or whose cryptography does not check out. */
  | "invalid-pool"
  /** The pool's network or genesis validators root is not one this program knows. */
  | "unknown-network"
  /** No operator identity in the data directory, or one already there when creating. */
  | "no-identity"
  | "identity-exists"
  /** The operator's identity is not the pool participant's, or the share is not encrypted to it. */
  | "identity-mismatch"
  /** The share file holds another participant's share. */
  | "wrong-participant"
  /** The share file holds a share of another pool (another composite key). */
  | "share-for-another-pool"
  /** The share file was altered or corrupted. */
  | "tampered-share"
  /** The share decrypted but does not match the commitments or the participant's component key. */
  | "invalid-share"
  /** The operator already holds a (different) share or pool definition for this composite key. */
  | "already-joined"
  /** This operator holds no share of the pool. */
  | "not-joined"
  /** The whole key is not (or no longer) in the aggregator's store. */
  | "no-whole-key"
  /** The exit was already pre-signed, or is not. */
  | "exit-exists"
  | "no-exit"
  /** A partial exit signature that is malformed, forged, duplicated or for another message. */
  | "invalid-partial"
  /** A signature that does not verify (never released). */
  | "verification-failed"
  /** A sealed store or sealed file that cannot be opened: wrong sealing secret, damaged file. */
  | "sealed-store"
  /** An output file that already exists. */
  | "file-exists"
  /** A beacon node that refused or could not be reached. */
  | "beacon-node";

export class PoolError extends Error {
  override name = "PoolError";

  constructor(
    readonly code: PoolErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Every error code of Bulwark, by concern. The catalogue (./catalogue.ts) gives each one its HTTP
 * status, metric label and log level; the README's "Status and error codes" list is checked
 * against it (test/errors/catalogue.test.ts). The unions live here, not next to their classes, so
 * that src/errors/ depends on nothing else in src/.
 */

/** A signing request refused (src/core/api.ts SignError): the signing API, the pool, Commit-Boost. */
export const SIGN_ERROR_CODES = [
  "bad-request",
  "root-mismatch",
  "unknown-key",
  "slashing",
  /** The signing policy refused it (time horizon, start guard, deposit, fee recipient, refused type): 412. */
  "policy",
  "wrong-network",
  /** Not enough of the parties needed to sign answered in time (a threshold pool): 503, retry later. */
  "unavailable",
  "internal",
] as const;
export type SignErrorCode = (typeof SIGN_ERROR_CODES)[number];

/** Key management through the keymanager API (src/core/key-management.ts). */
export const KEY_MANAGEMENT_ERROR_CODES = ["protection-import", "no-sealed-store", "key-generation"] as const;
export type KeyManagementErrorCode = (typeof KEY_MANAGEMENT_ERROR_CODES)[number];

/** A request without the right credentials (Commit-Boost JWTs, bearer tokens). */
export type AuthErrorCode = "unauthorized";

/**
 * Refusals of the pool's operator-side and aggregator-side commands (ceremony, join, exits), as
 * PoolError (src/pool/errors.ts) carries them.
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

/** One EIP-2335 keystore file that could not be loaded (src/keys/keystore-errors.ts). */
export type KeystoreFailureCode =
  | "unreadable"
  | "malformed-json"
  | "invalid-keystore"
  | "missing-password"
  | "wrong-password"
  | "invalid-secret"
  | "pubkey-mismatch"
  | "duplicate-pubkey"
  | "decrypt-failed"
  | "worker-failed";

/** Refusals of threshold operations (src/bls/threshold.ts). */
export type ThresholdErrorCode =
  | "invalid-parameters"
  | "invalid-secret"
  | "invalid-id"
  | "duplicate-id"
  | "too-few-partials"
  | "invalid-signature"
  | "invalid-public-key"
  | "invalid-commitments";

/** Refusals of an encrypted share envelope (src/pool/ceremony/share-crypto.ts). */
export type ShareEnvelopeErrorCode =
  | "unsupported-version"
  | "malformed-envelope"
  | "pool-mismatch"
  | "participant-mismatch"
  | "recipient-mismatch"
  | "integrity-failure";

/** What is wrong with a sealed secret file (src/keys/sealed-secret.ts). */
export type SealedFileProblem = "missing" | "exists" | "wrong-secret" | "corrupted" | "unsupported";
export type SealedFileErrorCode = `sealed-file-${SealedFileProblem}`;

/** Errors of one module each, met at start-up or by a command (the CLI prints them; no route answers them). */
export type ModuleErrorCode =
  | "api-token"
  | "attestation"
  | "beacon-proof"
  | "ceremony-attestation"
  | "cli"
  | "commit-boost-config"
  | "config-file"
  | "configfs-tsm"
  | "deposit"
  | "der"
  | "derivation-path"
  | "expected-measurements"
  | "file-lock-timeout"
  | "genesis-mismatch"
  | "identity"
  | "interchange-format"
  | "key-file"
  | "keystore-create"
  | "keystore-load"
  | "mnemonic"
  | "network-config"
  | "participant-config"
  | "policy-config"
  | "pool-aggregator-config"
  | "pool-definition"
  | "preset-mismatch"
  | "proof-file"
  | "protection-store"
  | "proxy-key-file"
  | "seth-keygen"
  | "signer-lock"
  | "signing-threads"
  | "vault-call"
  | "vault-config";

export type ErrorCode =
  | SignErrorCode
  | KeyManagementErrorCode
  | AuthErrorCode
  | PoolErrorCode
  | KeystoreFailureCode
  | ThresholdErrorCode
  | ShareEnvelopeErrorCode
  | SealedFileErrorCode
  | ModuleErrorCode;

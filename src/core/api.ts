/**
 * The whole interface of the signing core (src/core/): every module outside core/ depends on this
 * file only (test/architecture/core-boundary.test.ts checks it); the composition roots in src/cli/
 * construct the implementation (SigningCore, CommitBoostSigner). Plain data in and out.
 */
import type { SignedStatement } from "../attestation/statements.js";
import type { DepositDataJson } from "../eth/deposit.js";
import type { SignErrorCode } from "../errors/codes.js";

/**
 * What the HTTP signing API (src/server/app.ts) needs from whatever answers signing requests: the
 * signing core itself, or a threshold-pool aggregator that produces signatures from partial ones.
 */
export interface SigningService {
  /** Public keys (0x-hex) this service signs for. */
  listKeys(): Promise<string[]>;

  /** Signs one Web3Signer request body for one key, after every safety check. */
  sign(pubkey: string, body: unknown): Promise<SignOutcome>;

  /** One request body for many keys; one outcome per identifier, in order (see SigningCoreApi). */
  signBatch(pubkeys: readonly string[], body: unknown): Promise<BatchOutcome>;

  health(): Promise<CoreHealth>;
}

/**
 * The whole interface of the signing core, the only code that holds secret keys and decides to
 * sign. Plain data in, plain data out, so the core can move into another process (or a TEE) without
 * the HTTP layer changing.
 */
export interface SigningCoreApi extends SigningService {
  /** Public keys (0x-hex) the core can sign with. */
  listKeys(): Promise<string[]>;

  /** The keys with where they come from; read-only keys (from a keystore directory) cannot be deleted. */
  listKeyInfo(): Promise<KeyInfo[]>;

  /**
   * Imports EIP-2335 keystores into the sealed key store, after importing the EIP-3076 data (if
   * any) so that no imported key can sign before its history is known. One status per keystore.
   */
  importKeystores(keystores: readonly KeystoreImport[], slashingProtection?: unknown): Promise<KeyImportStatus[]>;

  /**
   * Stops signing with the keys at once, waits for signatures already being made, removes them
   * from the sealed store and returns their slashing-protection history.
   */
  deleteKeys(pubkeys: readonly string[]): Promise<KeyDeletion>;

  /**
   * Creates new random keys inside the core, keeps them in the sealed store and returns their
   * public keys with signed (and verified) deposit data. The secrets never leave the core.
   */
  generateKeys(request: KeyGenerationRequest): Promise<GeneratedKey[]>;

  /** Signs one Web3Signer request body for one key, after every safety check. */
  sign(pubkey: string, body: unknown): Promise<SignOutcome>;

  /**
   * Signs one request body for many keys with one protection transaction, for the types whose row
   * in REQUEST_TYPES (eth/request-types.ts) has `batch: true`. One outcome per identifier, in order.
   */
  signBatch(pubkeys: readonly string[], body: unknown): Promise<BatchOutcome>;

  /** Merges EIP-3076 interchange data (the parsed JSON document). */
  importProtection(interchange: unknown): Promise<ProtectionImportResult>;

  /** EIP-3076 interchange JSON text of the given keys (all keys with history when omitted). */
  exportProtection(pubkeys?: readonly string[]): Promise<string>;

  health(): Promise<CoreHealth>;
}

/** The refusals of a signing request, with their statuses in the error catalogue (src/errors/catalogue.ts). */
export type { SignErrorCode } from "../errors/codes.js";

export interface SignError {
  code: SignErrorCode;
  message: string;
  /** For "slashing": which rule refused (e.g. "surrounds-existing"); for "policy": e.g. "future". */
  reason?: string;
}

export type SignOutcome = { ok: true; signature: string } | { ok: false; error: SignError };

/** The whole batch is refused (malformed, unsupported type, duplicate keys), or one outcome per key. */
export type BatchOutcome = { ok: true; results: SignOutcome[] } | { ok: false; error: SignError };

export interface ProtectionImportResult {
  validators: number;
  blocksAdded: number;
  attestationsAdded: number;
  duplicatesSkipped: number;
}

export interface KeyGenerationRequest {
  count: number;
  /** 0x-prefixed execution address for the withdrawal credentials. */
  withdrawalAddress: string;
  /** 0x02 (compounding) credentials instead of 0x01. */
  compounding?: boolean;
  /** Deposit amount in gwei (default 32 ETH). */
  amountGwei?: number;
}

export interface GeneratedKey {
  pubkey: string;
  /** One entry of a staking-launchpad deposit_data file. */
  depositData: DepositDataJson;
  /** With attestation on: the identity's signed statement that the key was made here and never leaves. */
  provenance?: SignedStatement;
}

/** Signs and durably records key provenance statements (src/attestation/attestor.ts). */
export interface KeyProvenanceRecorder {
  recordKeyProvenance(keys: readonly GeneratedKey[]): Promise<SignedStatement[]>;
}

export interface KeyInfo {
  pubkey: string;
  readonly: boolean;
}

export interface KeystoreImport {
  /** The keystore JSON document (parsed). */
  keystore: unknown;
  password: string;
}

export type KeyImportStatus =
  | { status: "imported"; pubkey: string }
  | { status: "duplicate"; pubkey: string }
  | { status: "error"; message: string };

export type KeyDeletionStatus = "deleted" | "not_active" | "not_found" | "error";

export interface KeyDeletion {
  statuses: Array<{ status: KeyDeletionStatus; message?: string }>;
  /** EIP-3076 interchange JSON of the requested keys. */
  slashingProtection: string;
}

export interface CoreHealth {
  ok: boolean;
  keysLoaded: number;
  protection: { ok: boolean; latencyMs: number; error?: string };
  signing: { ok: boolean; error?: string };
  /** The start guard of the signing policy (src/protection/policy.ts), for /healthcheck. */
  startGuard?: StartGuardStatus;
}

/** A secret key handed to the core (wiped by it once loaded into its signing threads). */
export interface KeyToLoad {
  pubkey: string;
  secretKey: Uint8Array;
}

/** Timing hooks for metrics; the core itself never depends on a metrics library. */
export interface CoreObserver {
  protectionSeconds(seconds: number): void;
  signSeconds(seconds: number): void;
}

export type ProxyScheme = "bls" | "ecdsa";

/** A Commit-Boost signing request, as the authenticated caller (src/commit-boost/) fills it in. */
export interface CommitmentRequest {
  /** The authenticated module and its signing id (0x-hex, 32 bytes). */
  module: string;
  moduleSigningId: string;
  objectRoot: string;
  /** Decimal unsigned 64-bit integer. */
  nonce: string;
}

export interface ConsensusProxyMap {
  consensus: string;
  proxy_bls: string[];
  proxy_ecdsa: string[];
}

export interface SignedProxyDelegation {
  message: { delegator: string; proxy: string };
  signature: string;
}

export type DelegationOutcome = { ok: true; delegation: SignedProxyDelegation } | { ok: false; error: SignError };

/**
 * The Commit-Boost half of the core (src/core/commit-boost-signer.ts): commitments signed by the
 * consensus keys, and proxy keys made, sealed and used inside the core.
 */
export interface CommitBoostSigningApi {
  readonly chainId: bigint;
  readonly proxyCount: number;
  listKeys(module: string): Promise<ConsensusProxyMap[]>;
  signConsensus(pubkey: string, request: CommitmentRequest): Promise<SignOutcome>;
  signProxy(scheme: ProxyScheme, proxy: string, request: CommitmentRequest): Promise<SignOutcome>;
  generateProxy(module: string, delegator: string, scheme: ProxyScheme): Promise<DelegationOutcome>;
}

export interface StartGuardStatus {
  on: boolean;
  /** Whether it still refuses (until `resumesAt`). */
  active: boolean;
  /** E0: blocks up to its last slot and attestations with target <= it or source < it are refused. */
  epoch?: number;
  /** When signing resumes (start of epoch E0 + 1), ISO 8601. */
  resumesAt?: string;
}

/**
 * The slashing-protection store: the only way the rest of Bulwark reads or writes signing history.
 * Implementations (embedded SQLite, shared PostgreSQL) guarantee for `checkAndRecord`:
 * - the check and the record happen atomically per validator, serialised against every other
 *   caller of the same database, in this process or another;
 * - the record is durable (committed and synced) before the returned promise resolves;
 * - on any storage failure the promise rejects and nothing may be signed (fail closed).
 */
import type { Decision, ProtectionRequest, Pubkey, Root } from "./types.js";
import type { ValidatorHistory } from "./history.js";
import { BulwarkError, codedError } from "../errors/bulwark-error.js";

/** What a call gets back, once its group's commit has returned. */
export interface Recorded<T> {
  decisions: Decision[];
  /** The result of the work started on the decisions while the commit ran. */
  prepared: T;
  /** performance.now() when the commit returned. */
  committedAt: number;
}

/** Work on a call's decisions, started before they are durable; its result is handed over only after. */
export type PrepareOnDecisions<T> = (decisions: Decision[]) => T | Promise<T>;

/** How one call may be grouped (ProtectionStore.checkAndRecordWith). */
export interface CommitCallOptions {
  /**
   * While this returns true the caller can wait for a fuller group: its commit may be held back
   * (at most group-commit.ts MAX_HOLD_MS) so that more requests share it. The signing core says so
   * while its signing threads have plenty queued.
   */
  holdWhile?: () => boolean;
}

export interface ImportSummary {
  validators: number;
  blocksAdded: number;
  attestationsAdded: number;
  /** Records already present (identical) and therefore skipped. */
  duplicatesSkipped: number;
}

export interface ImportOptions {
  /** Called with the number of records processed since the last call. */
  onProgress?: (records: number) => void;
}

/** What `prune` removed. */
export interface PruneSummary {
  /** Keys that lost at least one record. */
  validators: number;
  blocksRemoved: number;
  attestationsRemoved: number;
  /**
   * Attestations older than the cut-off that had to stay because a newer record of the same key
   * surrounds them (imported slashable data): removing them would let a surround vote through.
   */
  attestationsKept: number;
}

export interface StoreHealth {
  ok: boolean;
  /** Round-trip time of a trivial query, in milliseconds. */
  latencyMs: number;
  error?: string;
}

export interface ProtectionStore {
  /** The chain this database belongs to; it refuses data for any other. */
  readonly genesisValidatorsRoot: Root;

  /**
   * True when this open found no database bound to a chain (missing, deleted or empty) and created
   * it: on a first start that is expected; otherwise the history is lost (signers warn).
   */
  readonly created: boolean;

  /**
   * Checks each request against the history and records the allowed ones, all in one atomic,
   * durable step. Requests are decided in order, so a later request sees the records of earlier
   * ones. Returns one decision per request.
   */
  checkAndRecord(requests: readonly ProtectionRequest[]): Promise<Decision[]>;

  /**
   * checkAndRecord, with work started on the decisions as soon as the transaction has made them,
   * while its commit is still on its way to disk: the signing core signs the allowed requests
   * there, so that the commit and the BLS signing overlap. The promise resolves, with the decisions
   * and the work's result, only once the commit has returned; when the commit fails it rejects and
   * the work's result is dropped. So whatever `prepare` makes reaches the caller only for requests
   * whose records are durable (record-before-release).
   */
  checkAndRecordWith<T>(requests: readonly ProtectionRequest[], prepare: PrepareOnDecisions<T>, options?: CommitCallOptions): Promise<Recorded<T>>;

  /** Merges EIP-3076 history into the database in one transaction: all of it or none. */
  importHistory(
    genesisValidatorsRoot: Root,
    validators: readonly ValidatorHistory[],
    options?: ImportOptions,
  ): Promise<ImportSummary>;

  /** The complete history of the given keys (all keys when omitted), one validator at a time. */
  exportHistory(pubkeys?: readonly Pubkey[]): AsyncIterable<ValidatorHistory>;

  /** Every key with any recorded history. */
  listValidators(): Promise<Pubkey[]>;

  /**
   * Records (durably) that these keys were deleted through the keymanager API or `keys delete`: they
   * must not load again from a file, however old, until imported anew with their history. Prune
   * keeps tombstones.
   */
  tombstone(pubkeys: readonly Pubkey[]): Promise<void>;

  /** Lifts the tombstones of keys imported anew (through the keymanager, with their history). */
  clearTombstones(pubkeys: readonly Pubkey[]): Promise<void>;

  /** Every tombstoned key. */
  listTombstones(): Promise<Pubkey[]>;

  /**
   * Deletes, per key, the attestations with target < (latest target - keepEpochs) and the blocks with
   * slot < (latest slot - keepEpochs * slotsPerEpoch) without ever weakening the protection: every
   * request refused before is refused after (see prune.ts for the argument). Each key is pruned
   * atomically under its lock (SQLite: all keys in one transaction; PostgreSQL: batches of keys, so
   * signing for the other keys goes on).
   */
  prune(keepEpochs: number, slotsPerEpoch: number): Promise<PruneSummary>;

  health(): Promise<StoreHealth>;

  close(): Promise<void>;
}

/** Storage failed: the caller must not sign. */
export class ProtectionStoreError extends codedError("protection-store") {
  override name = "ProtectionStoreError";
}

/** The database or an interchange file belongs to another chain. */
export class GenesisMismatchError extends BulwarkError<"genesis-mismatch"> {
  override name = "GenesisMismatchError";
  constructor(
    readonly expected: Root,
    readonly actual: Root,
    what: string,
  ) {
    super("genesis-mismatch", `${what} is for genesis validators root ${actual}, but this database is bound to ${expected}`);
  }
}

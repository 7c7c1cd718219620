/**
 * Embedded SQLite protection store (better-sqlite3): WAL journal with synchronous=FULL, so every
 * commit is fsync'd before `checkAndRecord` resolves. Calls that arrive in the same event-loop turn
 * share one transaction and one fsync (group commit); each request is still checked against every
 * record committed or recorded before it, so the guarantees are those of one call at a time.
 * Transactions are BEGIN IMMEDIATE: another process writing the same file waits for the lock.
 */
import { invalidRequestReason } from "./request-checks.js";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { checkAttestation, checkBlock } from "./rules.js";
import { assertPruneArguments, attestationCutoffsSql, attestationsKeptSql, keptSlots } from "./prune.js";
import { bytesToHex, hexToBytes, rootFromBytes, rootToBytes } from "./hex.js";
import type { ValidatorHistory } from "./history.js";
import {
  GenesisMismatchError,
  type ImportOptions,
  type ImportSummary,
  type ProtectionStore,
  ProtectionStoreError,
  type PruneSummary,
  type StoreHealth,
} from "./store.js";
import type {
  AttestationRecord,
  AttestationRequest,
  BlockRecord,
  BlockRequest,
  Decision,
  ProtectionRequest,
  Pubkey,
  Root,
} from "./types.js";

export const SQLITE_FILE_NAME = "slashing-protection.sqlite";
/** 2: key_tombstones (version 1 databases are upgraded in place: the table is created). */
const SCHEMA_VERSION = 2;
const BUSY_TIMEOUT_MS = 10_000;
const IMPORT_PROGRESS_EVERY = 10_000;
const GROUP_COMMIT_LIMIT = 128;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS metadata (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS validators (
  id INTEGER PRIMARY KEY,
  pubkey BLOB NOT NULL UNIQUE
);
-- Several rows at one slot (or target) can only come from an import of conflicting data; the
-- rules then refuse everything at that slot. Unknown roots are stored as an empty blob (not NULL)
-- so that the unique indexes also collapse repeated unknown-root records.
CREATE TABLE IF NOT EXISTS signed_blocks (
  validator_id INTEGER NOT NULL REFERENCES validators(id),
  slot INTEGER NOT NULL,
  signing_root BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS signed_blocks_by_slot
  ON signed_blocks (validator_id, slot, signing_root);
CREATE TABLE IF NOT EXISTS signed_attestations (
  validator_id INTEGER NOT NULL REFERENCES validators(id),
  source_epoch INTEGER NOT NULL,
  target_epoch INTEGER NOT NULL,
  signing_root BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS signed_attestations_by_target
  ON signed_attestations (validator_id, target_epoch, source_epoch, signing_root);
CREATE INDEX IF NOT EXISTS signed_attestations_by_source
  ON signed_attestations (validator_id, source_epoch, target_epoch);
-- Keys deleted through the keymanager API or \`keys delete\`; never pruned.
CREATE TABLE IF NOT EXISTS key_tombstones (
  pubkey BLOB PRIMARY KEY,
  deleted_at TEXT NOT NULL
);
`;

interface PendingCall {
  requests: readonly ProtectionRequest[];
  resolve: (decisions: Decision[]) => void;
  reject: (error: Error) => void;
}

interface AttestationRow {
  source_epoch: number;
  target_epoch: number;
  signing_root: Buffer;
}

export interface SqliteStoreOptions {
  dataDir: string;
  genesisValidatorsRoot: Root;
}

export class SqliteProtectionStore implements ProtectionStore {
  private pending: PendingCall[] = [];
  private pendingRequests = 0;
  private flushScheduled = false;
  private closed = false;
  /** Why the last commit failed, until one succeeds: a full disk fails writes while reads work. */
  private lastWriteError: string | undefined;

  private readonly statements;
  private readonly runGroup;

  private constructor(
    private readonly db: Database.Database,
    readonly genesisValidatorsRoot: Root,
    readonly path: string,
    readonly created: boolean,
  ) {
    this.statements = {
      validatorId: db.prepare<[Buffer], { id: number }>("SELECT id FROM validators WHERE pubkey = ?"),
      insertValidator: db.prepare<[Buffer]>("INSERT INTO validators (pubkey) VALUES (?)"),
      lowestSlot: db.prepare<[number], { v: number | null }>(
        "SELECT MIN(slot) AS v FROM signed_blocks WHERE validator_id = ?",
      ),
      blocksAtSlot: db.prepare<[number, number], { signing_root: Buffer }>(
        "SELECT signing_root FROM signed_blocks WHERE validator_id = ? AND slot = ?",
      ),
      insertBlock: db.prepare<[number, number, Buffer]>(
        "INSERT OR IGNORE INTO signed_blocks (validator_id, slot, signing_root) VALUES (?, ?, ?)",
      ),
      lowestSource: db.prepare<[number], { v: number | null }>(
        "SELECT MIN(source_epoch) AS v FROM signed_attestations WHERE validator_id = ?",
      ),
      lowestTarget: db.prepare<[number], { v: number | null }>(
        "SELECT MIN(target_epoch) AS v FROM signed_attestations WHERE validator_id = ?",
      ),
      attestationsAtTarget: db.prepare<[number, number], AttestationRow>(
        `SELECT source_epoch, target_epoch, signing_root FROM signed_attestations
         WHERE validator_id = ? AND target_epoch = ?`,
      ),
      // Scans only targets above the request's: few rows, since new votes have the newest target.
      surrounding: db.prepare<[number, number, number], AttestationRow>(
        `SELECT source_epoch, target_epoch, signing_root
         FROM signed_attestations INDEXED BY signed_attestations_by_target
         WHERE validator_id = ? AND target_epoch > ? AND source_epoch < ? LIMIT 1`,
      ),
      // Scans only sources above the request's: few rows, since new votes have the newest source.
      surrounded: db.prepare<[number, number, number], AttestationRow>(
        `SELECT source_epoch, target_epoch, signing_root
         FROM signed_attestations INDEXED BY signed_attestations_by_source
         WHERE validator_id = ? AND source_epoch > ? AND target_epoch < ? LIMIT 1`,
      ),
      insertAttestation: db.prepare<[number, number, number, Buffer]>(
        `INSERT OR IGNORE INTO signed_attestations (validator_id, source_epoch, target_epoch, signing_root)
         VALUES (?, ?, ?, ?)`,
      ),
      allValidators: db.prepare<[], { id: number; pubkey: Buffer }>(
        "SELECT id, pubkey FROM validators ORDER BY pubkey",
      ),
      blocksOf: db.prepare<[number], { slot: number; signing_root: Buffer }>(
        "SELECT slot, signing_root FROM signed_blocks WHERE validator_id = ? ORDER BY slot, signing_root",
      ),
      attestationsOf: db.prepare<[number], AttestationRow>(
        `SELECT source_epoch, target_epoch, signing_root FROM signed_attestations
         WHERE validator_id = ? ORDER BY target_epoch, source_epoch, signing_root`,
      ),
    };
    this.runGroup = db.transaction((calls: PendingCall[]) =>
      calls.map((call) => call.requests.map((request) => this.checkAndRecordOne(request))),
    );
  }

  /** Opens (creating if needed) the database in `dataDir`, bound to one genesis validators root. */
  static open(options: SqliteStoreOptions): SqliteProtectionStore {
    const gvr = options.genesisValidatorsRoot.toLowerCase();
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const path = join(options.dataDir, SQLITE_FILE_NAME);
    const isNew = !existsSync(path);
    let db: Database.Database;
    try {
      db = new Database(path);
      if (isNew) chmodSync(path, 0o600);
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.pragma("foreign_keys = ON");
    } catch (err) {
      throw new ProtectionStoreError(`cannot open slashing-protection database ${path}: ${(err as Error).message}`);
    }
    let created: boolean;
    try {
      created = bindDatabase(db, gvr, path);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteProtectionStore(db, gvr, path, created);
  }

  checkAndRecord(requests: readonly ProtectionRequest[]): Promise<Decision[]> {
    if (this.closed) return Promise.reject(new ProtectionStoreError("slashing-protection database is closed"));
    const invalid = requests.map(invalidRequestReason).find((reason) => reason !== undefined);
    if (invalid !== undefined) return Promise.reject(new ProtectionStoreError(`invalid protection request: ${invalid}`));
    return new Promise((resolve, reject) => {
      this.pending.push({ requests, resolve, reject });
      this.pendingRequests += requests.length;
      // A large burst is committed in groups, so that signing can start on the first group
      // instead of waiting for one commit of the whole burst.
      if (this.pendingRequests >= GROUP_COMMIT_LIMIT) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const calls = this.pending;
    this.pending = [];
    this.pendingRequests = 0;
    if (calls.length === 0) return;
    let results: Decision[][];
    try {
      results = this.runGroup.immediate(calls);
      this.lastWriteError = undefined;
    } catch (err) {
      this.lastWriteError = (err as Error).message;
      const error = new ProtectionStoreError(
        `slashing-protection database write failed, nothing signed: ${(err as Error).message}`,
      );
      for (const call of calls) call.reject(error);
      return;
    }
    calls.forEach((call, i) => call.resolve(results[i]!));
  }

  private checkAndRecordOne(request: ProtectionRequest): Decision {
    const pubkey = hexToBytes(request.pubkey.toLowerCase());
    const existingId = this.statements.validatorId.get(pubkey)?.id;
    const decision =
      request.kind === "block"
        ? this.checkBlockFor(existingId, request)
        : this.checkAttestationFor(existingId, request);
    if (decision.allowed && decision.record) {
      const id = existingId ?? Number(this.statements.insertValidator.run(pubkey).lastInsertRowid);
      if (request.kind === "block") {
        this.statements.insertBlock.run(id, request.slot, rootToBytes(request.signingRoot));
      } else {
        this.statements.insertAttestation.run(
          id,
          request.sourceEpoch,
          request.targetEpoch,
          rootToBytes(request.signingRoot),
        );
      }
    }
    return decision;
  }

  private checkBlockFor(id: number | undefined, request: BlockRequest): Decision {
    if (id === undefined) return checkBlock(request, { lowestSlot: null, sameSlot: [] });
    const sameSlot: BlockRecord[] = this.statements.blocksAtSlot
      .all(id, request.slot)
      .map((row) => ({ slot: request.slot, signingRoot: rootFromBytes(row.signing_root) }));
    return checkBlock(request, { lowestSlot: this.statements.lowestSlot.get(id)?.v ?? null, sameSlot });
  }

  private checkAttestationFor(id: number | undefined, request: AttestationRequest): Decision {
    if (id === undefined) {
      return checkAttestation(request, { lowestSourceEpoch: null, lowestTargetEpoch: null, candidates: [] });
    }
    const { sourceEpoch, targetEpoch } = request;
    const rows = [
      ...this.statements.attestationsAtTarget.all(id, targetEpoch),
      ...this.statements.surrounding.all(id, targetEpoch, sourceEpoch),
      ...this.statements.surrounded.all(id, sourceEpoch, targetEpoch),
    ];
    return checkAttestation(request, {
      lowestSourceEpoch: this.statements.lowestSource.get(id)?.v ?? null,
      lowestTargetEpoch: this.statements.lowestTarget.get(id)?.v ?? null,
      candidates: rows.map(toAttestationRecord),
    });
  }

  async importHistory(
    genesisValidatorsRoot: Root,
    validators: readonly ValidatorHistory[],
    options: ImportOptions = {},
  ): Promise<ImportSummary> {
    this.assertOpen();
    if (genesisValidatorsRoot.toLowerCase() !== this.genesisValidatorsRoot) {
      throw new GenesisMismatchError(this.genesisValidatorsRoot, genesisValidatorsRoot.toLowerCase(), "the interchange file");
    }
    const summary: ImportSummary = { validators: 0, blocksAdded: 0, attestationsAdded: 0, duplicatesSkipped: 0 };
    const seen = new Set<string>();
    let sinceProgress = 0;
    const progress = (n: number) => {
      sinceProgress += n;
      if (sinceProgress >= IMPORT_PROGRESS_EVERY) {
        options.onProgress?.(sinceProgress);
        sinceProgress = 0;
      }
    };
    const importAll = this.db.transaction(() => {
      for (const validator of validators) {
        const pubkey = hexToBytes(validator.pubkey.toLowerCase());
        const id = this.validatorIdFor(pubkey);
        seen.add(validator.pubkey.toLowerCase());
        for (const block of validator.blocks) {
          const changes = this.statements.insertBlock.run(id, block.slot, rootToBytes(block.signingRoot)).changes;
          if (changes > 0) summary.blocksAdded++;
          else summary.duplicatesSkipped++;
          progress(1);
        }
        for (const att of validator.attestations) {
          const changes = this.statements.insertAttestation.run(
            id,
            att.sourceEpoch,
            att.targetEpoch,
            rootToBytes(att.signingRoot),
          ).changes;
          if (changes > 0) summary.attestationsAdded++;
          else summary.duplicatesSkipped++;
          progress(1);
        }
      }
    });
    try {
      importAll.immediate();
    } catch (err) {
      throw new ProtectionStoreError(`import failed, nothing was written: ${(err as Error).message}`);
    }
    if (sinceProgress > 0) options.onProgress?.(sinceProgress);
    summary.validators = seen.size;
    return summary;
  }

  private validatorIdFor(pubkey: Buffer): number {
    const existing = this.statements.validatorId.get(pubkey);
    if (existing !== undefined) return existing.id;
    return Number(this.statements.insertValidator.run(pubkey).lastInsertRowid);
  }

  async *exportHistory(pubkeys?: readonly Pubkey[]): AsyncIterable<ValidatorHistory> {
    this.assertOpen();
    // Read the list first: iterating a statement while running others on the same connection is
    // not allowed by better-sqlite3.
    const validators = pubkeys
      ? pubkeys.map((pubkey) => ({ pubkey, id: this.statements.validatorId.get(hexToBytes(pubkey.toLowerCase()))?.id }))
      : this.statements.allValidators.all().map((row) => ({ pubkey: bytesToHex(row.pubkey), id: row.id }));
    for (const { pubkey, id } of validators) {
      if (id === undefined) {
        yield { pubkey: pubkey.toLowerCase(), blocks: [], attestations: [] };
        continue;
      }
      const read = this.db.transaction(() => ({
        blocks: this.statements.blocksOf
          .all(id)
          .map((row) => ({ slot: row.slot, signingRoot: rootFromBytes(row.signing_root) })),
        attestations: this.statements.attestationsOf.all(id).map(toAttestationRecord),
      }));
      yield { pubkey: pubkey.toLowerCase(), ...read() };
    }
  }

  async listValidators(): Promise<Pubkey[]> {
    this.assertOpen();
    return this.statements.allValidators.all().map((row) => bytesToHex(row.pubkey));
  }

  async tombstone(pubkeys: readonly Pubkey[]): Promise<void> {
    this.assertOpen();
    const insert = this.db.prepare<[Buffer, string]>("INSERT OR IGNORE INTO key_tombstones (pubkey, deleted_at) VALUES (?, ?)");
    const deletedAt = new Date().toISOString();
    this.writeTransaction("tombstone", () => {
      for (const pubkey of pubkeys) insert.run(hexToBytes(pubkey.toLowerCase()), deletedAt);
    });
  }

  async clearTombstones(pubkeys: readonly Pubkey[]): Promise<void> {
    this.assertOpen();
    const remove = this.db.prepare<[Buffer]>("DELETE FROM key_tombstones WHERE pubkey = ?");
    this.writeTransaction("clearing tombstones", () => {
      for (const pubkey of pubkeys) remove.run(hexToBytes(pubkey.toLowerCase()));
    });
  }

  async listTombstones(): Promise<Pubkey[]> {
    this.assertOpen();
    return this.db.prepare<[], { pubkey: Buffer }>("SELECT pubkey FROM key_tombstones ORDER BY pubkey").all().map((row) => bytesToHex(row.pubkey));
  }

  private writeTransaction(what: string, work: () => void): void {
    try {
      this.db.transaction(work).immediate();
    } catch (err) {
      throw new ProtectionStoreError(`${what} failed: ${(err as Error).message}`);
    }
  }

  async prune(keepEpochs: number, slotsPerEpoch: number): Promise<PruneSummary> {
    this.assertOpen();
    assertPruneArguments(keepEpochs, slotsPerEpoch);
    const slots = keptSlots(keepEpochs, slotsPerEpoch);
    const run = this.db.transaction((): PruneSummary => {
      const touched = new Set<number>();
      let blocksRemoved = 0;
      let attestationsRemoved = 0;
      const blockCutoffs = this.db
        .prepare<[bigint, bigint], { validator_id: number; cutoff: number }>(
          `SELECT validator_id, MAX(slot) - ? AS cutoff FROM signed_blocks
           GROUP BY validator_id HAVING MIN(slot) < MAX(slot) - ?`,
        )
        .all(slots, slots);
      const deleteBlocks = this.db.prepare<[number, number]>("DELETE FROM signed_blocks WHERE validator_id = ? AND slot < ?");
      for (const { validator_id, cutoff } of blockCutoffs) {
        blocksRemoved += deleteBlocks.run(validator_id, cutoff).changes;
        touched.add(validator_id);
      }
      const attestationCutoffs = this.db
        .prepare<[number], { validator_id: number; last_removed_target: number }>(attestationCutoffsSql("?"))
        .all(keepEpochs);
      const deleteAttestations = this.db.prepare<[number, number]>(
        "DELETE FROM signed_attestations WHERE validator_id = ? AND target_epoch <= ?",
      );
      for (const { validator_id, last_removed_target } of attestationCutoffs) {
        attestationsRemoved += deleteAttestations.run(validator_id, last_removed_target).changes;
        touched.add(validator_id);
      }
      const attestationsKept = this.db.prepare<[number], { n: number }>(attestationsKeptSql("?")).get(keepEpochs)!.n;
      return { validators: touched.size, blocksRemoved, attestationsRemoved, attestationsKept };
    });
    try {
      return run.immediate();
    } catch (err) {
      throw new ProtectionStoreError(`prune failed, nothing was removed: ${(err as Error).message}`);
    }
  }

  async health(): Promise<StoreHealth> {
    const started = performance.now();
    try {
      this.assertOpen();
      // Touch every table: a database that lost one still answers SELECT 1.
      this.db
        .prepare(
          `SELECT (SELECT value FROM metadata WHERE key = 'genesis_validators_root') AS gvr,
                  EXISTS (SELECT 1 FROM validators) AS v,
                  EXISTS (SELECT 1 FROM signed_blocks) AS b,
                  EXISTS (SELECT 1 FROM signed_attestations) AS a`,
        )
        .get();
      const latencyMs = performance.now() - started;
      if (this.lastWriteError !== undefined) return { ok: false, latencyMs, error: `last write failed: ${this.lastWriteError}` };
      return { ok: true, latencyMs };
    } catch (err) {
      return { ok: false, latencyMs: performance.now() - started, error: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let any queued group commit finish before the connection goes away.
    if (this.pending.length > 0) this.flush();
    this.closed = true;
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new ProtectionStoreError("slashing-protection database is closed");
  }
}


function toAttestationRecord(row: AttestationRow): AttestationRecord {
  return { sourceEpoch: row.source_epoch, targetEpoch: row.target_epoch, signingRoot: rootFromBytes(row.signing_root) };
}

/**
 * Creates the schema on first use and binds the database to one chain; refuses any other. Returns
 * whether it was bound just now (a new, or emptied, database).
 */
function bindDatabase(db: Database.Database, genesisValidatorsRoot: Root, path: string): boolean {
  return db.transaction((): boolean => {
    db.exec(SCHEMA);
    const get = db.prepare<[string], { value: string }>("SELECT value FROM metadata WHERE key = ?");
    const set = db.prepare<[string, string]>("INSERT INTO metadata (key, value) VALUES (?, ?)");
    const version = get.get("schema_version")?.value;
    if (version === undefined) set.run("schema_version", String(SCHEMA_VERSION));
    else if (Number(version) < SCHEMA_VERSION) {
      db.prepare("UPDATE metadata SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION));
    } else if (Number(version) > SCHEMA_VERSION) {
      throw new ProtectionStoreError(
        `slashing-protection database ${path} has schema version ${version}, newer than this program knows (${SCHEMA_VERSION}); upgrade Bulwark`,
      );
    }
    const bound = get.get("genesis_validators_root")?.value;
    if (bound === undefined) set.run("genesis_validators_root", genesisValidatorsRoot);
    else if (bound !== genesisValidatorsRoot) {
      throw new GenesisMismatchError(bound, genesisValidatorsRoot, `the configured network (database ${path})`);
    }
    return bound === undefined;
  }).immediate();
}

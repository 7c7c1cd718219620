/**
 * The SQLite file: where it lives, its schema, the durable settings of every connection, and the
 * binding to one chain. New tables go into SCHEMA (CREATE ... IF NOT EXISTS) with SCHEMA_VERSION
 * raised when older programs must refuse the file.
 */
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { GenesisMismatchError, ProtectionStoreError } from "../store.js";
import type { Root } from "../types.js";

export const SQLITE_FILE_NAME = "slashing-protection.sqlite";
/** 2: key_tombstones (version 1 databases are upgraded in place: the table is created). */
const SCHEMA_VERSION = 2;
const BUSY_TIMEOUT_MS = 10_000;

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

/**
 * A connection with the settings every one needs: WAL, fsync on every commit, wait for other
 * writers. `mustExist` for connections opened after the store's own, so that a file deleted
 * meanwhile is an error instead of a new empty database.
 */
export function connect(path: string, options: { mustExist?: boolean } = {}): Database.Database {
  const db = new Database(path, { fileMustExist: options.mustExist === true });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Opens (creating if needed) the database file in `dataDir`, private to its owner, with its schema,
 * bound to one genesis validators root; refuses another root and a newer schema.
 */
export function openDatabase(dataDir: string, genesisValidatorsRoot: Root): { db: Database.Database; path: string; created: boolean } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, SQLITE_FILE_NAME);
  const isNew = !existsSync(path);
  let db: Database.Database;
  try {
    db = connect(path);
    if (isNew) chmodSync(path, 0o600);
  } catch (err) {
    throw new ProtectionStoreError(`cannot open slashing-protection database ${path}: ${(err as Error).message}`);
  }
  let created: boolean;
  try {
    created = bindDatabase(db, genesisValidatorsRoot, path);
  } catch (err) {
    db.close();
    throw err;
  }
  return { db, path, created };
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

/** The prepared statements reading and writing records, shared by signing, imports and exports. */
import type Database from "better-sqlite3";
import { rootFromBytes, rootToBytes } from "../hex.js";
import type { AttestationRecord } from "../types.js";

export interface AttestationRow {
  source_epoch: number;
  target_epoch: number;
  signing_root: Buffer;
}

export function toAttestationRecord(row: AttestationRow): AttestationRecord {
  return { sourceEpoch: row.source_epoch, targetEpoch: row.target_epoch, signingRoot: rootFromBytes(row.signing_root) };
}

export type Records = ReturnType<typeof prepareRecords>;

export function prepareRecords(db: Database.Database) {
  const statements = {
    validatorId: db.prepare<[Buffer], { id: number }>("SELECT id FROM validators WHERE pubkey = ?"),
    insertValidator: db.prepare<[Buffer]>("INSERT INTO validators (pubkey) VALUES (?)"),
    lowestSlot: db.prepare<[number], { lowest: number | null }>("SELECT MIN(slot) AS lowest FROM signed_blocks WHERE validator_id = ?"),
    blocksAtSlot: db.prepare<[number, number], { signing_root: Buffer }>(
      "SELECT signing_root FROM signed_blocks WHERE validator_id = ? AND slot = ?",
    ),
    insertBlock: db.prepare<[number, number, Buffer]>(
      "INSERT OR IGNORE INTO signed_blocks (validator_id, slot, signing_root) VALUES (?, ?, ?)",
    ),
    // Two statements: SQLite answers a lone MIN() from an index, not two in one query.
    lowestSource: db.prepare<[number], { lowest: number | null }>(
      "SELECT MIN(source_epoch) AS lowest FROM signed_attestations WHERE validator_id = ?",
    ),
    lowestTarget: db.prepare<[number], { lowest: number | null }>(
      "SELECT MIN(target_epoch) AS lowest FROM signed_attestations WHERE validator_id = ?",
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
  };
  return {
    ...statements,
    /** The key's id, adding the key when it has none yet. */
    validatorIdFor(pubkey: Buffer): number {
      const existing = statements.validatorId.get(pubkey);
      if (existing !== undefined) return existing.id;
      return Number(statements.insertValidator.run(pubkey).lastInsertRowid);
    },
    /** Returns whether the record was new. */
    addBlock(id: number, slot: number, signingRoot: string | null): boolean {
      return statements.insertBlock.run(id, slot, rootToBytes(signingRoot)).changes > 0;
    },
    addAttestation(id: number, sourceEpoch: number, targetEpoch: number, signingRoot: string | null): boolean {
      return statements.insertAttestation.run(id, sourceEpoch, targetEpoch, rootToBytes(signingRoot)).changes > 0;
    },
  };
}

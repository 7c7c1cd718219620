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
    // Each MIN() is its own scalar subquery: SQLite answers a lone MIN() from an index, not two in
    // one query. One statement instead of three: the commit thread pays per statement.
    attestationSummary: db.prepare<[Buffer], { id: number; lowest_source: number | null; lowest_target: number | null }>(
      `SELECT v.id AS id,
         (SELECT MIN(source_epoch) FROM signed_attestations WHERE validator_id = v.id) AS lowest_source,
         (SELECT MIN(target_epoch) FROM signed_attestations WHERE validator_id = v.id) AS lowest_target
       FROM validators v WHERE v.pubkey = ?`,
    ),
    // The records a vote may conflict with, in one statement: those at its target, one surrounding
    // it (scanning only targets above the request's: few rows, since new votes have the newest
    // target) and one surrounded by it (scanning only sources above the request's).
    attestationCandidates: db.prepare<{ id: number; source: number; target: number }, AttestationRow>(
      `SELECT source_epoch, target_epoch, signing_root FROM signed_attestations
         WHERE validator_id = $id AND target_epoch = $target
       UNION ALL SELECT * FROM (
         SELECT source_epoch, target_epoch, signing_root
         FROM signed_attestations INDEXED BY signed_attestations_by_target
         WHERE validator_id = $id AND target_epoch > $target AND source_epoch < $source LIMIT 1)
       UNION ALL SELECT * FROM (
         SELECT source_epoch, target_epoch, signing_root
         FROM signed_attestations INDEXED BY signed_attestations_by_source
         WHERE validator_id = $id AND source_epoch > $source AND target_epoch < $target LIMIT 1)`,
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

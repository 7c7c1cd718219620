/**
 * Tombstones of deleted keys (the key_tombstones table of schema.ts), on the store's own
 * connection: written in an IMMEDIATE transaction (fsync'd, synchronous=FULL), never pruned.
 */
import type Database from "better-sqlite3";
import { hexToBytes, toHex } from "../../util/hex.js";
import { ProtectionStoreError } from "../store.js";
import type { Pubkey } from "../types.js";

export function prepareTombstones(db: Database.Database) {
  const insert = db.prepare<[Buffer, string]>("INSERT OR IGNORE INTO key_tombstones (pubkey, deleted_at) VALUES (?, ?)");
  const remove = db.prepare<[Buffer]>("DELETE FROM key_tombstones WHERE pubkey = ?");
  const all = db.prepare<[], { pubkey: Buffer }>("SELECT pubkey FROM key_tombstones ORDER BY pubkey");
  const write = (what: string, work: () => void): void => {
    try {
      db.transaction(work).immediate();
    } catch (err) {
      throw new ProtectionStoreError(`${what} failed: ${(err as Error).message}`);
    }
  };
  return {
    tombstone(pubkeys: readonly Pubkey[]): void {
      const deletedAt = new Date().toISOString();
      write("tombstone", () => {
        for (const pubkey of pubkeys) insert.run(hexToBytes(pubkey.toLowerCase()), deletedAt);
      });
    },
    clearTombstones(pubkeys: readonly Pubkey[]): void {
      write("clearing tombstones", () => {
        for (const pubkey of pubkeys) remove.run(hexToBytes(pubkey.toLowerCase()));
      });
    },
    listTombstones(): Pubkey[] {
      return all.all().map((row) => toHex(row.pubkey));
    },
  };
}

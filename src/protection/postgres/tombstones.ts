/**
 * Tombstones of deleted keys (migration 002): written durably, read as a plain list. Prune never
 * touches this table.
 */
import type { Pubkey } from "../types.js";
import { ProtectionStoreError } from "../store.js";
import { begin, commit, type Connection, read, withConnection } from "./connection.js";

const PUBKEYS_FROM_TEXT = "SELECT decode(substr(pk, 3), 'hex') FROM unnest($1::text[]) AS pk";

export async function tombstone(connection: Connection, pubkeys: readonly Pubkey[]): Promise<void> {
  await write(connection, `INSERT INTO key_tombstones (pubkey) ${PUBKEYS_FROM_TEXT} ON CONFLICT DO NOTHING`, pubkeys);
}

export async function clearTombstones(connection: Connection, pubkeys: readonly Pubkey[]): Promise<void> {
  await write(connection, `DELETE FROM key_tombstones WHERE pubkey = ANY (${PUBKEYS_FROM_TEXT})`, pubkeys);
}

export async function listTombstones(connection: Connection): Promise<Pubkey[]> {
  const rows = await read<{ pubkey_hex: string }>(connection, "SELECT '0x' || encode(pubkey, 'hex') AS pubkey_hex FROM key_tombstones ORDER BY pubkey");
  return rows.map((row) => row.pubkey_hex);
}

/** One statement, committed durably (synchronous_commit on) before it resolves. */
async function write(connection: Connection, text: string, pubkeys: readonly Pubkey[]): Promise<void> {
  try {
    await withConnection(connection, async (client) => {
      await client.query(begin());
      await client.query(text, [pubkeys.map((pubkey) => pubkey.toLowerCase())]);
      await commit(client);
    });
  } catch (err) {
    if (err instanceof ProtectionStoreError) throw err;
    throw new ProtectionStoreError(`slashing-protection database write failed: ${(err as Error).message}`);
  }
}

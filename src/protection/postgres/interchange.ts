/** EIP-3076 history in and out of PostgreSQL: imports in one transaction, exports in chunks of keys. */
import type { ValidatorHistory } from "../history.js";
import { type ImportOptions, type ImportSummary, ProtectionStoreError } from "../store.js";
import type { Pubkey } from "../types.js";
import { begin, commit, type Connection, maintenanceQuery, read, withConnection } from "./connection.js";
import { LOCK_WRITERS_EXCLUSIVE_SQL } from "./locks.js";
import { rootFromBuffer, rootHex, toNumber } from "./values.js";

const IMPORT_CHUNK_RECORDS = 20_000;
const IMPORT_CHUNK_VALIDATORS = 10_000;
const EXPORT_CHUNK_VALIDATORS = 64;

interface RecordRow {
  validator_id: string;
  /** 0 block, 1 attestation. */
  kind: number;
  slot_or_source: string;
  /** Attestations only. */
  target: string | null;
  signing_root: Buffer;
}

const READ_RECORDS_SQL = `
SELECT validator_id, 0 AS kind, slot AS slot_or_source, NULL::bigint AS target, signing_root
FROM signed_blocks WHERE validator_id = ANY($1::bigint[])
UNION ALL
SELECT validator_id, 1, source_epoch, target_epoch, signing_root
FROM signed_attestations WHERE validator_id = ANY($1::bigint[])
ORDER BY 1, 2, 4, 3, 5`;

/** Merges already validated history (request-checks.ts) in one transaction: all of it or none. */
export async function importHistory(
  connection: Connection,
  validators: readonly ValidatorHistory[],
  options: ImportOptions,
): Promise<ImportSummary> {
  const summary: ImportSummary = { validators: 0, blocksAdded: 0, attestationsAdded: 0, duplicatesSkipped: 0 };
  const pubkeys = [...new Set(validators.map((v) => v.pubkey.toLowerCase().slice(2)))];
  try {
    await withConnection(connection, async (client) => {
      const query = maintenanceQuery(client);
      // Exclusive writers lock: no signing transaction may decide against a half-imported history.
      await query(`${begin("none")} ${LOCK_WRITERS_EXCLUSIVE_SQL}`);
      const ids = new Map<string, string>();
      for (let start = 0; start < pubkeys.length; start += IMPORT_CHUNK_VALIDATORS) {
        const chunk = pubkeys.slice(start, start + IMPORT_CHUNK_VALIDATORS);
        await query(
          `INSERT INTO validators (pubkey) SELECT decode(k, 'hex') FROM unnest($1::text[]) AS k ON CONFLICT (pubkey) DO NOTHING`,
          [chunk],
        );
        const rows = await query<{ id: string; pubkey_hex: string }>(
          `SELECT id, encode(pubkey, 'hex') AS pubkey_hex FROM validators
           WHERE pubkey IN (SELECT decode(k, 'hex') FROM unnest($1::text[]) AS k)`,
          [chunk],
        );
        for (const row of rows.rows) ids.set(row.pubkey_hex, row.id);
      }
      const blocks = { ids: [] as string[], slots: [] as number[], roots: [] as string[] };
      const atts = { ids: [] as string[], sources: [] as number[], targets: [] as number[], roots: [] as string[] };
      const flushBlocks = async () => {
        if (blocks.ids.length === 0) return;
        const result = await query(
          `INSERT INTO signed_blocks (validator_id, slot, signing_root)
           SELECT validator_id, slot, decode(root, 'hex') FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS incoming(validator_id, slot, root)
           ON CONFLICT DO NOTHING`,
          [blocks.ids, blocks.slots, blocks.roots],
        );
        const n = blocks.ids.length;
        summary.blocksAdded += result.rowCount ?? 0;
        summary.duplicatesSkipped += n - (result.rowCount ?? 0);
        blocks.ids = [];
        blocks.slots = [];
        blocks.roots = [];
        options.onProgress?.(n);
      };
      const flushAttestations = async () => {
        if (atts.ids.length === 0) return;
        const result = await query(
          `INSERT INTO signed_attestations (validator_id, source_epoch, target_epoch, signing_root)
           SELECT validator_id, source_epoch, target_epoch, decode(root, 'hex') FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[]) AS incoming(validator_id, source_epoch, target_epoch, root)
           ON CONFLICT DO NOTHING`,
          [atts.ids, atts.sources, atts.targets, atts.roots],
        );
        const n = atts.ids.length;
        summary.attestationsAdded += result.rowCount ?? 0;
        summary.duplicatesSkipped += n - (result.rowCount ?? 0);
        atts.ids = [];
        atts.sources = [];
        atts.targets = [];
        atts.roots = [];
        options.onProgress?.(n);
      };
      for (const validator of validators) {
        const id = ids.get(validator.pubkey.toLowerCase().slice(2))!;
        for (const block of validator.blocks) {
          blocks.ids.push(id);
          blocks.slots.push(block.slot);
          blocks.roots.push(rootHex(block.signingRoot));
          if (blocks.ids.length >= IMPORT_CHUNK_RECORDS) await flushBlocks();
        }
        for (const att of validator.attestations) {
          atts.ids.push(id);
          atts.sources.push(att.sourceEpoch);
          atts.targets.push(att.targetEpoch);
          atts.roots.push(rootHex(att.signingRoot));
          if (atts.ids.length >= IMPORT_CHUNK_RECORDS) await flushAttestations();
        }
      }
      await flushBlocks();
      await flushAttestations();
      await commit(client);
    });
  } catch (err) {
    throw new ProtectionStoreError(`import failed, nothing was written: ${(err as Error).message}`);
  }
  summary.validators = pubkeys.length;
  return summary;
}

/** The complete history of the given keys (all keys, in pubkey order, when omitted). */
export async function* exportHistory(connection: Connection, pubkeys?: readonly Pubkey[]): AsyncIterable<ValidatorHistory> {
  if (pubkeys !== undefined) {
    const wanted = pubkeys.map((pubkey) => pubkey.toLowerCase());
    for (let start = 0; start < wanted.length; start += EXPORT_CHUNK_VALIDATORS) {
      const chunk = wanted.slice(start, start + EXPORT_CHUNK_VALIDATORS);
      const rows = await read<{ id: string; pubkey_hex: string }>(
        connection,
        `SELECT id, '0x' || encode(pubkey, 'hex') AS pubkey_hex FROM validators
         WHERE pubkey IN (SELECT decode(k, 'hex') FROM unnest($1::text[]) AS k)`,
        [chunk.map((pubkey) => pubkey.slice(2))],
      );
      const histories = await readHistories(connection, rows);
      for (const pubkey of chunk) yield histories.get(pubkey) ?? { pubkey, blocks: [], attestations: [] };
    }
    return;
  }
  let after = "";
  for (;;) {
    const rows = await read<{ id: string; pubkey_hex: string }>(
      connection,
      `SELECT id, '0x' || encode(pubkey, 'hex') AS pubkey_hex FROM validators
       WHERE pubkey > decode($1, 'hex') ORDER BY pubkey LIMIT ${EXPORT_CHUNK_VALIDATORS}`,
      [after],
    );
    if (rows.length === 0) return;
    const histories = await readHistories(connection, rows);
    for (const row of rows) yield histories.get(row.pubkey_hex)!;
    after = rows.at(-1)!.pubkey_hex.slice(2);
  }
}

/** The records of some validators, read by one statement (a consistent snapshot). */
async function readHistories(connection: Connection, validators: readonly { id: string; pubkey_hex: string }[]): Promise<Map<Pubkey, ValidatorHistory>> {
  const byId = new Map<string, ValidatorHistory>();
  for (const { id, pubkey_hex } of validators) byId.set(id, { pubkey: pubkey_hex, blocks: [], attestations: [] });
  if (validators.length > 0) {
    const rows = await read<RecordRow>(connection, READ_RECORDS_SQL, [validators.map((v) => v.id)]);
    for (const row of rows) {
      const history = byId.get(row.validator_id)!;
      if (row.kind === 0) history.blocks.push({ slot: toNumber(row.slot_or_source), signingRoot: rootFromBuffer(row.signing_root) });
      else {
        history.attestations.push({
          sourceEpoch: toNumber(row.slot_or_source),
          targetEpoch: toNumber(row.target),
          signingRoot: rootFromBuffer(row.signing_root),
        });
      }
    }
  }
  return new Map([...byId.values()].map((history) => [history.pubkey, history]));
}

export async function listValidators(connection: Connection): Promise<Pubkey[]> {
  const rows = await read<{ pubkey_hex: string }>(connection, "SELECT '0x' || encode(pubkey, 'hex') AS pubkey_hex FROM validators ORDER BY pubkey");
  return rows.map((row) => row.pubkey_hex);
}

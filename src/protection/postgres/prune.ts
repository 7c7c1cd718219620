/**
 * Prunes PRUNE_BATCH_VALIDATORS keys per transaction, each under the same locks as signing (the
 * shared writers lock and the keys' own locks), so signing for other keys goes on meanwhile. Each
 * batch is a complete, safe prune of its keys (see ../prune.ts); a failure part-way leaves the
 * batches before it pruned and the rest untouched.
 */
import { assertPruneArguments, attestationCutoffsSql, attestationsKeptSql, keptSlots } from "../prune.js";
import { ProtectionStoreError, type PruneSummary } from "../store.js";
import { begin, commit, type Connection, maintenanceQuery, read, withConnection } from "./connection.js";
import { lockValidatorsSql } from "./locks.js";

/** Keys pruned per transaction (each holds its key's lock for the duration). */
const PRUNE_BATCH_VALIDATORS = 256;

export async function prune(connection: Connection, keepEpochs: number, slotsPerEpoch: number): Promise<PruneSummary> {
  assertPruneArguments(keepEpochs, slotsPerEpoch);
  const slots = keptSlots(keepEpochs, slotsPerEpoch).toString();
  const epochs = String(keepEpochs);
  const summary: PruneSummary = { validators: 0, blocksRemoved: 0, attestationsRemoved: 0, attestationsKept: 0 };
  const validators = await read<{ id: string; pubkey_hex: string }>(
    connection,
    "SELECT id, '0x' || encode(pubkey, 'hex') AS pubkey_hex FROM validators ORDER BY id",
  );
  for (let start = 0; start < validators.length; start += PRUNE_BATCH_VALIDATORS) {
    const batch = validators.slice(start, start + PRUNE_BATCH_VALIDATORS);
    const ids = batch.map((v) => v.id);
    try {
      await withConnection(connection, async (client) => {
        const query = maintenanceQuery(client);
        await query(`${begin("none")} ${lockValidatorsSql(batch.map((v) => v.pubkey_hex))}`);
        const blocks = await query<{ validator_id: string; removed_count: number }>(
          `WITH cut AS (
             SELECT validator_id, MAX(slot) - $1::bigint AS cutoff FROM signed_blocks
             WHERE validator_id = ANY($2::bigint[])
             GROUP BY validator_id HAVING MIN(slot) < MAX(slot) - $1::bigint
           ), removed AS (
             DELETE FROM signed_blocks b USING cut
             WHERE b.validator_id = cut.validator_id AND b.slot < cut.cutoff RETURNING b.validator_id
           )
           SELECT validator_id, COUNT(*)::int AS removed_count FROM removed GROUP BY validator_id`,
          [slots, ids],
        );
        const attestations = await query<{ validator_id: string; removed_count: number }>(
          `WITH cut AS (${attestationCutoffsSql("$1::bigint", "validator_id = ANY($2::bigint[])")}), removed AS (
             DELETE FROM signed_attestations a USING cut
             WHERE a.validator_id = cut.validator_id AND a.target_epoch <= cut.last_removed_target
             RETURNING a.validator_id
           )
           SELECT validator_id, COUNT(*)::int AS removed_count FROM removed GROUP BY validator_id`,
          [epochs, ids],
        );
        const kept = await query<{ kept: string }>(attestationsKeptSql("$1::bigint", "validator_id = ANY($2::bigint[])"), [epochs, ids]);
        await commit(client);
        summary.validators += new Set([...blocks.rows, ...attestations.rows].map((row) => row.validator_id)).size;
        summary.blocksRemoved += blocks.rows.reduce((sum, row) => sum + row.removed_count, 0);
        summary.attestationsRemoved += attestations.rows.reduce((sum, row) => sum + row.removed_count, 0);
        summary.attestationsKept += Number(kept.rows[0]!.kept);
      });
    } catch (err) {
      const done = `${summary.blocksRemoved} blocks and ${summary.attestationsRemoved} attestations of the first ${start} keys were removed, the rest is untouched`;
      throw new ProtectionStoreError(`prune failed: ${(err as Error).message}; ${done}`);
    }
  }
  return summary;
}

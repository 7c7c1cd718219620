/** Pruning the SQLite file: every key in one transaction (see ../prune.ts for why it is safe). */
import type Database from "better-sqlite3";
import { assertPruneArguments, attestationCutoffsSql, attestationsKeptSql, keptSlots } from "../prune.js";
import { ProtectionStoreError, type PruneSummary } from "../store.js";

export function prune(db: Database.Database, keepEpochs: number, slotsPerEpoch: number): PruneSummary {
  assertPruneArguments(keepEpochs, slotsPerEpoch);
  const slots = keptSlots(keepEpochs, slotsPerEpoch);
  const run = db.transaction((): PruneSummary => {
    const touched = new Set<number>();
    let blocksRemoved = 0;
    let attestationsRemoved = 0;
    const blockCutoffs = db
      .prepare<[bigint, bigint], { validator_id: number; cutoff: number }>(
        `SELECT validator_id, MAX(slot) - ? AS cutoff FROM signed_blocks
         GROUP BY validator_id HAVING MIN(slot) < MAX(slot) - ?`,
      )
      .all(slots, slots);
    const deleteBlocks = db.prepare<[number, number]>("DELETE FROM signed_blocks WHERE validator_id = ? AND slot < ?");
    for (const { validator_id, cutoff } of blockCutoffs) {
      blocksRemoved += deleteBlocks.run(validator_id, cutoff).changes;
      touched.add(validator_id);
    }
    const attestationCutoffs = db
      .prepare<[number], { validator_id: number; last_removed_target: number }>(attestationCutoffsSql("?"))
      .all(keepEpochs);
    const deleteAttestations = db.prepare<[number, number]>(
      "DELETE FROM signed_attestations WHERE validator_id = ? AND target_epoch <= ?",
    );
    for (const { validator_id, last_removed_target } of attestationCutoffs) {
      attestationsRemoved += deleteAttestations.run(validator_id, last_removed_target).changes;
      touched.add(validator_id);
    }
    const attestationsKept = db.prepare<[number], { kept: number }>(attestationsKeptSql("?")).get(keepEpochs)!.kept;
    return { validators: touched.size, blocksRemoved, attestationsRemoved, attestationsKept };
  });
  try {
    return run.immediate();
  } catch (err) {
    throw new ProtectionStoreError(`prune failed, nothing was removed: ${(err as Error).message}`);
  }
}

/**
 * Pruning old slashing-protection history without weakening the protection.
 *
 * The rules ("complete" strategy, rules.ts) refuse a request when it conflicts with a recorded
 * message or falls below the low watermarks, which are the lowest recorded slot / source / target of
 * the key. Deleting old records raises the watermarks, which refuses more. Both stores prune by one
 * cut-off per key and table, chosen as follows, and the argument below shows that every request
 * refused before the prune is still refused after it.
 *
 * Blocks. Remove the blocks with slot < σ, where σ = latest slot − keepEpochs × slotsPerEpoch (so
 * the latest block is kept). Let x be a request's slot. If x < σ, no block remains at x and
 * x < σ ≤ lowest remaining slot: refused as below the watermark. If x ≥ σ, every block at x is
 * kept, so the same-slot check decides as before, and a refusal as below the old watermark stays
 * one (the watermark only rose).
 *
 * Attestations. Remove every attestation with target < τ for a τ ≤ latest target − keepEpochs,
 * where the removed set D and the kept set K must satisfy: max source over D ≤ min source over K.
 * (Without it, pruning is unsafe: with records (5,6) and (2,20), removing (5,6) would let (3,25)
 * through, which surrounds (5,6). Such a pair surrounds itself, so it only occurs in imported
 * slashable data; there the older record is kept, and `attestationsKept` counts it.) Let (s, t) be a
 * request refused before. All targets in K are ≥ τ and K holds the latest record.
 *  - t < τ: no kept record has target t (so no "harmless repeat" exit), and t < τ ≤ lowest kept
 *    target: refused as at or below the target watermark.
 *  - t ≥ τ: every record at target t is kept, so the same-target check decides exactly as before.
 *    Otherwise the old refusal was source > target (unchanged), below a watermark (the watermarks
 *    only rose), or a surround with a record r. If r is kept, it still refuses. If r was removed:
 *    "r surrounds the request" needs t < r.t < τ, impossible; "the request surrounds r" gives
 *    s < r.s ≤ max source over D ≤ min source over K = lowest kept source: refused as below the
 *    source watermark.
 * τ is taken as large as the retention allows: removing "every target ≤ T" for the largest recorded
 * target T < latest − keepEpochs whose prefix of sources is all ≤ the sources that follow it.
 */
import type { AttestationRecord } from "./types.js";

export function assertPruneArguments(keepEpochs: number, slotsPerEpoch: number): void {
  if (!Number.isSafeInteger(keepEpochs) || keepEpochs < 0) throw new RangeError(`keepEpochs must be an unsigned safe integer, got ${keepEpochs}`);
  if (!Number.isSafeInteger(slotsPerEpoch) || slotsPerEpoch < 1) throw new RangeError(`slotsPerEpoch must be a positive safe integer, got ${slotsPerEpoch}`);
}

/**
 * keepEpochs × slotsPerEpoch as a bigint, capped at 2^62 so that it always fits a 64-bit database
 * integer (slots are below 2^53, so any cap above that keeps every block).
 */
export function keptSlots(keepEpochs: number, slotsPerEpoch: number): bigint {
  const product = BigInt(keepEpochs) * BigInt(slotsPerEpoch);
  const cap = 2n ** 62n;
  return product > cap ? cap : product;
}

/**
 * Per key, the highest target to remove (every attestation with target ≤ it goes), for both SQL
 * dialects; `keep` is the placeholder bound to keepEpochs, `keys` an optional condition on
 * validator_id. Keys with nothing to remove are absent.
 */
export function attestationCutoffsSql(keep: string, keys = "TRUE"): string {
  return `
WITH per_target AS (
  SELECT validator_id, target_epoch, MIN(source_epoch) AS min_source, MAX(source_epoch) AS max_source
  FROM signed_attestations WHERE ${keys} GROUP BY validator_id, target_epoch
), ordered AS (
  SELECT validator_id, target_epoch,
    MAX(max_source) OVER (PARTITION BY validator_id ORDER BY target_epoch
                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS max_source_up_to,
    MIN(min_source) OVER (PARTITION BY validator_id ORDER BY target_epoch
                          ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS min_source_after,
    MAX(target_epoch) OVER (PARTITION BY validator_id) AS latest_target
  FROM per_target
)
SELECT validator_id, MAX(target_epoch) AS last_removed_target FROM ordered
WHERE target_epoch < latest_target - ${keep} AND max_source_up_to <= min_source_after
GROUP BY validator_id`;
}

/** Old attestations that had to be kept: still below the requested cut-off after the prune. */
export function attestationsKeptSql(keep: string, keys = "TRUE"): string {
  return `
SELECT COUNT(*) AS kept FROM signed_attestations a
JOIN (SELECT validator_id, MAX(target_epoch) AS latest_target FROM signed_attestations WHERE ${keys} GROUP BY validator_id) m
  ON m.validator_id = a.validator_id
WHERE a.target_epoch < m.latest_target - ${keep}`;
}

/**
 * The same choice as attestationCutoffsSql over one key's records, in plain code: the highest
 * target to remove, or null when nothing can go. (A statement of the rule for tests and readers.)
 */
export function attestationCutoff(records: readonly AttestationRecord[], keepEpochs: number): number | null {
  if (records.length === 0) return null;
  const targets = [...new Set(records.map((r) => r.targetEpoch))].sort((a, b) => a - b);
  const latest = targets.at(-1)!;
  let best: number | null = null;
  for (const target of targets) {
    if (target >= latest - keepEpochs) break;
    const removed = records.filter((r) => r.targetEpoch <= target);
    const kept = records.filter((r) => r.targetEpoch > target);
    if (Math.max(...removed.map((r) => r.sourceEpoch)) <= Math.min(...kept.map((r) => r.sourceEpoch))) best = target;
  }
  return best;
}

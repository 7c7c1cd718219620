/**
 * Advisory locks. Every signing transaction takes the writers lock shared and then each of its
 * validators' locks exclusively, in sorted key order (no deadlocks); imports take the writers lock
 * exclusively, prunes take it shared plus their keys' locks. All are transaction locks: released
 * only when the commit is visible.
 */
import { createHash } from "node:crypto";
import type { Pubkey } from "../types.js";

/** A 64-bit advisory lock key from a name: the first 8 bytes of its SHA-256. */
export function advisoryLockKey(name: string): bigint {
  return createHash("sha256").update(name).digest().readBigInt64BE(0);
}

/** Taken shared by every signing transaction, exclusively by imports. */
export const WRITERS_LOCK = advisoryLockKey("bulwark/slashing-protection/writers");
export const MIGRATION_LOCK = advisoryLockKey("bulwark/slashing-protection/migrations");

export function validatorLockKey(pubkey: Pubkey): bigint {
  return advisoryLockKey(`bulwark/slashing-protection/validator/${pubkey.toLowerCase()}`);
}

/** The statements taking the shared writers lock, then the validators' locks, once each and in order. */
export function lockValidatorsSql(pubkeys: readonly Pubkey[]): string {
  const keys = [...new Set(pubkeys.map(validatorLockKey))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return (
    `SELECT pg_advisory_xact_lock_shared(${WRITERS_LOCK});` +
    ` SELECT pg_advisory_xact_lock(k) FROM unnest('{${keys.join(",")}}'::bigint[]) AS k`
  );
}

export const LOCK_WRITERS_EXCLUSIVE_SQL = `SELECT pg_advisory_xact_lock(${WRITERS_LOCK})`;
export const LOCK_MIGRATIONS_SQL = `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;

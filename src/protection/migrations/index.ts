/**
 * Versioned migrations of the PostgreSQL protection schema, applied in order by the program itself
 * (PostgresProtectionStore.open) inside one transaction under an advisory lock, and recorded in
 * `schema_migrations`. Append new migrations here; never edit one that has shipped.
 */
import { initialSchema } from "./001-initial-schema.js";
import { keyTombstones } from "./002-key-tombstones.js";
import type { Migration } from "./migration.js";

export type { Migration };

export const MIGRATIONS: readonly Migration[] = [initialSchema, keyTombstones];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

/** The bookkeeping table; created by the runner, not by a migration. */
export const SCHEMA_MIGRATIONS_DDL = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

for (const [i, migration] of MIGRATIONS.entries()) {
  if (migration.version !== i + 1) throw new Error(`migration ${migration.name} has version ${migration.version}, expected ${i + 1}`);
}

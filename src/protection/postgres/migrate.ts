/**
 * Creates or upgrades the schema and binds the database to the chain, in one transaction under an
 * advisory lock: of several instances starting at once, one migrates and the others then see the
 * result. A role without CREATE rights can run an up-to-date schema (no DDL is attempted then).
 * New tables come as new files in ../migrations/ (appended to MIGRATIONS), never here.
 */
import { LATEST_SCHEMA_VERSION, MIGRATIONS, SCHEMA_MIGRATIONS_DDL } from "../migrations/index.js";
import { GenesisMismatchError, ProtectionStoreError } from "../store.js";
import type { Root } from "../types.js";
import { begin, commit, type Connection, maintenanceQuery, withConnection } from "./connection.js";
import { LOCK_MIGRATIONS_SQL } from "./locks.js";

/** Returns whether the database was bound to the chain just now (a new or empty database). */
export async function migrate(connection: Connection, gvr: Root, schema: string | undefined): Promise<boolean> {
  const { location } = connection;
  try {
    return await withConnection(
      connection,
      async (client) => {
        const query = maintenanceQuery(client);
        await query(`${begin("none")} ${LOCK_MIGRATIONS_SQL}`);
        if (schema !== undefined) await query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        const exists = (await query<{ migrations_table: string | null }>("SELECT to_regclass('schema_migrations')::text AS migrations_table")).rows[0]!.migrations_table !== null;
        if (!exists) await query(SCHEMA_MIGRATIONS_DDL);
        const current = Number((await query<{ version: number }>("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations")).rows[0]!.version);
        if (current > LATEST_SCHEMA_VERSION) {
          throw new ProtectionStoreError(
            `slashing-protection database ${location} has schema version ${current}, newer than this program knows (${LATEST_SCHEMA_VERSION}); upgrade Bulwark`,
          );
        }
        for (const migration of MIGRATIONS.filter((m) => m.version > current)) {
          await query(migration.sql);
          await query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name]);
        }
        const bound = (await query<{ value: string }>("SELECT value FROM metadata WHERE key = 'genesis_validators_root'")).rows[0]?.value;
        if (bound === undefined) {
          await query("INSERT INTO metadata (key, value) VALUES ('genesis_validators_root', $1)", [gvr]);
        } else if (bound !== gvr) {
          throw new GenesisMismatchError(bound, gvr, `the configured network (database ${location})`);
        }
        await commit(client);
        return bound === undefined;
      },
      "cannot connect to the slashing-protection database",
    );
  } catch (err) {
    if (err instanceof ProtectionStoreError || err instanceof GenesisMismatchError) throw err;
    throw new ProtectionStoreError(`cannot prepare the slashing-protection database ${location}: ${(err as Error).message}`);
  }
}
